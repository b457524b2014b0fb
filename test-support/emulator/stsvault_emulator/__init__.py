"""stsvault's local AWS emulator: moto behind a guard that really checks MFA codes.

One copy serves the Rust, Python and Node test suites and ``make demo``::

    python -m stsvault_emulator serve --port 0 --log calls.jsonl --ready-file ready.json
    python -m stsvault_emulator setup-user --endpoint http://127.0.0.1:PORT --user sls-administrator
    python -m stsvault_emulator totp --seed SEED
    python -m stsvault_emulator log-summary --log calls.jsonl

Modules, one job each:

- ``server``     run moto's WSGI app behind the guard on 127.0.0.1; ready file, signals, parent watch
- ``guard``      the WSGI middleware: MFA checks, unique session keys, signer mapping, logging
- ``awsrequest`` read an AWS request (service, action, parameters, signing key) from a WSGI environ
- ``mfa``        TOTP validation with replay protection
- ``moto_state`` in-process look-ups in moto's IAM: MFA seeds, key owners, role trust policies
- ``sessions``   the session keys the guard mints, the user keys they stand for, MFA-ness
- ``calllog``    the JSON-lines call log and its human summary
- ``setup_user`` create an IAM user with keys and an enabled virtual MFA device
- ``processes``  whether another process still runs, without signalling it (Windows-safe)
- ``testing``    start/stop the emulator from Python test suites
"""
