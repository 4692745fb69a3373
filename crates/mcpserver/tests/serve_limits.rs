//! The serve loop's limits: a client that sends its headers too slowly is cut off
//! (MCPSERVER_HEADER_READ_TIMEOUT_SECS) and no more than MCPSERVER_MAX_CONNECTIONS
//! connections are served at once (later ones wait to be accepted).

mod support;

use std::time::Duration;
use support::world::{Options, World};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn world(flags: &[&str]) -> World {
    World::start_with(Options { flags: flags.iter().map(|s| s.to_string()).collect(), ..Default::default() })
        .await
}

fn address(world: &World) -> String {
    world.server.url("").trim_start_matches("http://").trim_end_matches('/').to_string()
}

#[tokio::test]
async fn a_slow_client_is_cut_off_when_its_headers_take_too_long() {
    let world = world(&["--header-read-timeout-secs", "1"]).await;
    let mut slow = TcpStream::connect(address(&world)).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n").await.unwrap();
    // The headers never end; the server must close the connection (the bound only keeps a
    // broken server from hanging the test).
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(30), slow.read(&mut buf)).await;
    let closed = matches!(read, Ok(Ok(_)) | Ok(Err(_)));
    assert!(closed, "the connection is still open");
    // A prompt client is served as usual.
    let ok = world.http.get(world.server.url("/healthz")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_until_one_closes() {
    let world = world(&["--max-connections", "2", "--header-read-timeout-secs", "60"]).await;
    let held: Vec<TcpStream> = vec![
        TcpStream::connect(address(&world)).await.unwrap(),
        TcpStream::connect(address(&world)).await.unwrap(),
    ];
    // Let the server accept both before the third arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let client = reqwest::Client::new();
    let url = world.server.url("/healthz");
    let third = tokio::spawn(async move { client.get(url).send().await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!third.is_finished(), "a third connection was served beyond the limit of 2");
    drop(held);
    let status = tokio::time::timeout(Duration::from_secs(30), third).await.unwrap().unwrap().unwrap();
    assert_eq!(status, 200, "served once a connection closed");
}
