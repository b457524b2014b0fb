//! Raw HTTP/1 requests on one connection to the local credential servers' request handling.
//! The first byte picks the server (bit 0: ECS or EC2) and the peer (bit 1: loopback or not);
//! the rest is what the client sends. Credentials in an answer to a request that could not be
//! authorised are a failure, as is any panic.
#![no_main]

use stsvault::fuzzing::{Server, answer_leaks_credentials, server_request};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&selector, raw)) = data.split_first() else {
        return;
    };
    let server = if selector & 1 == 0 {
        Server::Ecs
    } else {
        Server::Ec2
    };
    let loopback = selector & 2 == 0;
    let answer = server_request(server, raw, loopback);
    assert!(
        !answer_leaks_credentials(server, raw, loopback, &answer),
        "credentials served to an unauthorised request"
    );
});
