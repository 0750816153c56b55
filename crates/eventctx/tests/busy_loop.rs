//! The documented trap: a hung-up descriptor left in a context makes every wait return at once,
//! forever (a loop around it spins at 100% CPU). The documented handling, deleting it when
//! `is_read_closed` or `is_hungup` is reported (after reading what is left), stops the spin.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use eventctx::{EventToken, WaitContext};

mod support;
use support::tcp_pair;

#[test]
fn a_hung_up_descriptor_left_registered_spins_until_deleted() -> io::Result<()> {
    let (client, server) = tcp_pair()?;
    let ctx: WaitContext<u8> = WaitContext::build_with(&[(&server, 1)])?;
    drop(client);

    // Left registered: a wait with a 1 s timeout returns at once, again and again. (Counted
    // in waits, not in time, so that a slow run, under valgrind say, proves the same thing:
    // 100 waits that blocked would take 100 s.)
    let start = Instant::now();
    for _ in 0..100 {
        let events = ctx.wait_timeout(Duration::from_secs(1))?;
        assert_eq!(events.len(), 1);
        assert!(events[0].is_read_closed);
    }
    let took = start.elapsed();
    println!("100 waits returned at once in {took:?} while the closed socket was left registered");
    assert!(
        took < Duration::from_secs(1),
        "100 waits with a 1 s timeout took {took:?}: they did not return at once"
    );

    // Deleted: the next wait blocks for its whole timeout.
    ctx.delete(&server)?;
    let start = Instant::now();
    assert!(ctx.wait_timeout(Duration::from_millis(50))?.is_empty());
    assert!(start.elapsed() >= Duration::from_millis(50));
    Ok(())
}

#[test]
fn an_event_loop_that_deletes_on_hangup_goes_idle() -> io::Result<()> {
    #[derive(EventToken, Clone, Copy, Debug, PartialEq)]
    enum Token {
        Peer(u32),
    }
    const PEERS: usize = 8;
    let mut servers = Vec::new();
    let mut clients = Vec::new();
    let ctx: WaitContext<Token> = WaitContext::new()?;
    for i in 0..PEERS {
        let (mut client, server) = tcp_pair()?;
        client.write_all(format!("bye {i}").as_bytes())?;
        ctx.add(&server, Token::Peer(i as u32))?;
        servers.push(Some(server));
        clients.push(client);
    }
    clients.clear(); // every peer sends its last words and hangs up

    let mut waits = 0;
    let mut received = 0;
    let mut open = PEERS;
    while open > 0 {
        waits += 1;
        assert!(
            waits <= 4 * PEERS,
            "the loop is spinning: {waits} waits for {PEERS} peers"
        );
        for event in ctx.wait_timeout(Duration::from_secs(5))? {
            let Token::Peer(i) = event.token;
            let Some(server) = servers[i as usize].as_mut() else {
                continue;
            };
            // Read what is left first; delete once the peer's end-of-file is reached.
            let mut buf = [0u8; 64];
            match server.read(&mut buf)? {
                0 => {
                    ctx.delete(server)?;
                    servers[i as usize] = None;
                    open -= 1;
                }
                n => received += n,
            }
        }
    }
    assert_eq!(
        received,
        (0..PEERS).map(|i| format!("bye {i}").len()).sum::<usize>()
    );
    let start = Instant::now();
    assert!(
        ctx.wait_timeout(Duration::from_millis(30))?.is_empty(),
        "idle after the last delete"
    );
    assert!(start.elapsed() >= Duration::from_millis(30));
    println!("{PEERS} peers hung up; {waits} waits to read and remove them all, then idle");
    Ok(())
}
