"""`import stsvault` stays cheap: a boto3 script pays for it before anything else, so the package
loads only its native module. The timing itself is measured by `make bench` (benches/README.md);
this checks, in a fresh interpreter, that none of the slow standard modules it used to pull in
comes back."""

import subprocess
import sys

# dataclasses alone cost ~16 ms (through inspect and re); typing and datetime a few more.
SLOW = ("dataclasses", "inspect", "typing", "re", "datetime", "enum")


def test_import_loads_none_of_the_slow_standard_modules():
    probe = (
        "import sys\n"
        f"before = {{m for m in {SLOW!r} if m in sys.modules}}\n"
        "import stsvault\n"
        f"print(sorted(m for m in {SLOW!r} if m in sys.modules and m not in before))\n"
        "print(stsvault.__file__)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded, path = out.stdout.splitlines()
    assert "site-packages" in path, f"the installed wheel is tested, not {path}"
    assert loaded == "[]", f"import stsvault loaded {loaded}"


def test_the_public_type_aliases_still_resolve():
    import typing

    import stsvault

    assert stsvault.MfaPrompt == typing.Callable[[str, str], str]
    assert typing.get_args(stsvault.PathLike)[0] is str
