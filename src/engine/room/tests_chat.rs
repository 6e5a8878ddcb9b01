//! Chat that loses nothing: checked before it is queued, confirmed by the server's echo,
//! sent again with the same id when the session comes back, shown once however often it
//! arrives, refused by the server with its code.

use super::sim::*;
use super::*;
use steadyrtc_protocol::{ErrorCode as ServerCode, Role, ServerMessage};

fn chats_sent(acts: &[RoomAction]) -> Vec<(String, Option<String>)> {
    sent(acts)
        .into_iter()
        .filter_map(|m| match m {
            ClientMessage::Chat { text, id, .. } => Some((text, id)),
            _ => None,
        })
        .collect()
}

fn settled(acts: &[RoomAction]) -> Vec<(u32, Result<(), ErrorCode>)> {
    acts.iter()
        .filter_map(|a| match a {
            RoomAction::SettleChat { request, result } => {
                Some((*request, result.as_ref().map(|_| ()).map_err(|e| e.code)))
            }
            _ => None,
        })
        .collect()
}

fn line(from: &str, id: &str, text: &str) -> ServerMessage {
    ServerMessage::Chat {
        from: from.into(),
        text: text.into(),
        private: false,
        id: Some(id.into()),
        name: format!("name-{from}"),
        sent_at: 1_790_000_000_000,
    }
}

#[test]
fn a_line_is_checked_sent_with_an_id_and_settled_by_its_echo() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    let acts = sim.room.send_chat("hi", None, 1).unwrap();
    let sent = chats_sent(&acts);
    assert_eq!(sent.len(), 1);
    let id = sent[0].1.clone().expect("an id");
    assert!(settled(&acts).is_empty(), "not before the server has it");
    let acts = sim.server(line("me", &id, "hi"));
    assert_eq!(settled(&acts), vec![(1, Ok(()))]);
    assert!(events(&acts).is_empty(), "our own line is not an event");
    assert_eq!(sim.room.chat_history().len(), 1);
    for (text, to) in [("  ", None), ("x", Some("nobody".to_owned()))] {
        assert_eq!(
            sim.room.send_chat(text, to, 2).unwrap_err().code,
            ErrorCode::InvalidArgument
        );
    }
    let long = "é".repeat(MAX_CHAT_CHARS + 1);
    assert_eq!(
        sim.room.send_chat(&long, None, 3).unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    assert!(sim
        .room
        .send_chat(&"é".repeat(MAX_CHAT_CHARS), None, 4)
        .is_ok());
}

#[test]
fn lines_written_while_the_socket_is_down_go_when_it_is_back_and_unconfirmed_ones_go_again() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    let first = chats_sent(&sim.room.send_chat("one", None, 1).unwrap())[0]
        .1
        .clone()
        .unwrap();
    sim.feed(RoomInput::SocketClosed {
        code: 1006,
        reason: String::new(),
    });
    let acts = sim.room.send_chat("two", None, 2).unwrap();
    assert!(chats_sent(&acts).is_empty(), "queued while reconnecting");
    sim.feed(RoomInput::SocketOpened);
    let acts = sim.server(ServerMessage::Resumed {
        session_id: "session-me".into(),
        peer_id: "me".into(),
        room: "r".into(),
    });
    let again = chats_sent(&acts);
    assert_eq!(
        again.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        vec!["one", "two"],
        "in order, the first with its old id"
    );
    assert_eq!(again[0].1.as_deref(), Some(first.as_str()));
    // The replay brings the first echo and the second's; a late duplicate echo is dropped.
    let mut done = settled(&sim.server(line("me", &first, "one")));
    done.extend(settled(&sim.server(line(
        "me",
        again[1].1.as_deref().unwrap(),
        "two",
    ))));
    done.extend(settled(&sim.server(line("me", &first, "one"))));
    assert_eq!(done, vec![(1, Ok(())), (2, Ok(()))]);
}

#[test]
fn a_line_that_arrives_twice_is_shown_once() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    let acts = sim.server(line("a", "a-1", "hello"));
    assert_eq!(names(&acts), vec!["chat"]);
    let acts = sim.server(line("a", "a-1", "hello"));
    assert!(names(&acts).is_empty());
    let acts = sim.server(line("a", "a-2", "hello"));
    assert_eq!(
        names(&acts),
        vec!["chat"],
        "another line with the same text"
    );
    assert_eq!(sim.room.chat_history().len(), 2);
}

#[test]
fn a_refused_line_rejects_with_the_servers_code_and_leaving_rejects_the_rest() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    let id = chats_sent(&sim.room.send_chat("x", None, 1).unwrap())[0]
        .1
        .clone()
        .unwrap();
    let acts = sim.feed(RoomInput::Frame {
        seq: None,
        message: ServerMessage::Error {
            code: ServerCode::Forbidden,
            message: "chat needs the chat grant".into(),
            id: Some(id),
        },
    });
    assert_eq!(settled(&acts), vec![(1, Err(ErrorCode::ServerRefused))]);
    assert!(
        events(&acts).is_empty(),
        "the call says it, not an error event"
    );
    sim.room.send_chat("y", None, 2).unwrap();
    let acts = sim.feed(RoomInput::Leave);
    assert_eq!(settled(&acts), vec![(2, Err(ErrorCode::RoomClosed))]);
    assert_eq!(
        sim.room.send_chat("z", None, 3).unwrap_err().code,
        ErrorCode::RoomClosed
    );
}
