//! The join handshake of `Room.join`: open the socket, send `join` with the token, and
//! wait for `welcome` within the join timeout, mapping every way it can fail to a
//! `SteadyError` with a stable code.

use crate::browser::signaling::{SignalingClient, SignalingEvent};
use crate::error::{ErrorCode, SteadyError};
use crate::options::RoomOptions;
use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::future::{select, Either};
use futures::StreamExt;
use steadyrtc_protocol::{ClientMessage, ServerMessage, PROTOCOL_VERSION};

/// Opens the socket, sends `join` and waits for `welcome`, within the join timeout.
pub(super) async fn connect(
    options: &RoomOptions,
) -> Result<
    (
        SignalingClient,
        UnboundedSender<SignalingEvent>,
        UnboundedReceiver<SignalingEvent>,
        ServerMessage,
    ),
    SteadyError,
> {
    let (tx, mut rx) = unbounded();
    let signaling = SignalingClient::connect(&options.url, tx.clone())?;
    let handshake = async {
        while let Some(event) = rx.next().await {
            match event {
                SignalingEvent::Open => signaling.send(&ClientMessage::Join {
                    protocol_version: PROTOCOL_VERSION,
                    room: options.room.clone(),
                    name: options.name.clone(),
                    token: options.token.clone(),
                })?,
                SignalingEvent::Message(msg @ ServerMessage::Welcome { .. }) => return Ok(msg),
                SignalingEvent::Message(ServerMessage::Error { code, message }) => {
                    return Err(SteadyError::new(ErrorCode::JoinRejected, message)
                        .with_server_code(code.as_str()))
                }
                SignalingEvent::Message(other) => tracing::debug!(?other, "ignored before welcome"),
                SignalingEvent::BadFrame(why) => tracing::warn!(%why, "bad frame from server"),
                SignalingEvent::Alive => {}
                SignalingEvent::Closed {
                    was_open: false, ..
                } => {
                    return Err(SteadyError::new(
                        ErrorCode::SignalingUnreachable,
                        format!("could not connect to {}", options.url),
                    ))
                }
                SignalingEvent::Closed { code, reason, .. } => {
                    return Err(SteadyError::new(
                        ErrorCode::SignalingClosed,
                        format!("the server closed the connection while joining ({code} {reason})"),
                    ))
                }
            }
        }
        Err(SteadyError::new(
            ErrorCode::SignalingClosed,
            "the signaling socket went away",
        ))
    };
    let timeout = gloo_timers::future::TimeoutFuture::new(options.join_timeout_ms);
    let welcome = match select(Box::pin(handshake), timeout).await {
        Either::Left((result, _)) => result?,
        Either::Right(_) => {
            return Err(SteadyError::new(
                ErrorCode::SignalingTimeout,
                format!(
                    "no welcome from {} within {} ms",
                    options.url, options.join_timeout_ms
                ),
            ))
        }
    };
    Ok((signaling, tx, rx, welcome))
}

