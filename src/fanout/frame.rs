//! A text frame as the fan-out queues it: one JSON message, UTF-8, encoded once and shared by reference
//! count between every client that receives it.
//!
//! It is our own type over `bytes::Bytes` so that the fan-out does not depend on the web framework. The
//! transports convert at their edge: the NATS publisher hands the same bytes to its client, and the
//! WebSocket writer (`api/ws.rs`) needs axum's `Utf8Bytes`, which can be made from `Bytes` without a copy
//! but only by checking the UTF-8 again (axum has no unchecked constructor). That check is no small thing:
//! measured at about 3.3 GB/s on text like ours, 140 µs for a 450 KiB snapshot, some 14 times a copy of
//! the same bytes. So a frame keeps its converted form ([`Frame::edge`]): made once per frame by the first
//! client's writer, then shared by every other client, which costs each of them a reference count.
//! A frame is one pointer (axum's `Utf8Bytes` was four words): each client's queue starts with a block of
//! 32 slots, so an idle connection holds 256 bytes of queue instead of 1 KiB.
//! This module does not encode messages ([`super::message`] does).

use std::any::Any;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

/// One server-to-client message, valid UTF-8 by construction (built only from `str` and `String`).
/// Cloning it shares it.
#[derive(Clone, Default)]
pub struct Frame(Arc<Shared>);

#[derive(Default)]
struct Shared {
    text: Bytes,
    /// The frame as a transport sends it (the WebSocket's text message), made on first need.
    edge: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl Frame {
    fn new(text: Bytes) -> Frame {
        Frame(Arc::new(Shared {
            text,
            edge: OnceLock::new(),
        }))
    }

    pub fn from_static(text: &'static str) -> Frame {
        Frame::new(Bytes::from_static(text.as_bytes()))
    }

    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor takes a `str` or a `String`, so the bytes are valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(&self.0.text) }
    }

    /// The bytes, shared (no copy).
    pub fn bytes(&self) -> Bytes {
        self.0.text.clone()
    }

    pub fn len(&self) -> usize {
        self.0.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.text.is_empty()
    }

    /// The frame as a transport's type `T`, made by `make` from the bytes on the first call and shared by
    /// every later one (a frame serves one transport type; asked for another, it makes it every time).
    pub fn edge<T: Any + Clone + Send + Sync>(&self, make: impl FnOnce(Bytes) -> T) -> T {
        if let Some(made) = self.0.edge.get() {
            return match made.downcast_ref::<T>() {
                Some(t) => t.clone(),
                None => make(self.bytes()),
            };
        }
        let made = make(self.bytes());
        // Two writers may race here: both made a good value; the first one set is kept.
        let _ = self.0.edge.set(Box::new(made.clone()));
        made
    }
}

impl From<String> for Frame {
    /// Takes the string's buffer (no copy).
    fn from(text: String) -> Frame {
        Frame::new(Bytes::from(text))
    }
}

impl From<&'static str> for Frame {
    fn from(text: &'static str) -> Frame {
        Frame::from_static(text)
    }
}

impl PartialEq for Frame {
    fn eq(&self, other: &Frame) -> bool {
        self.0.text == other.0.text
    }
}

impl Eq for Frame {}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 120;
        let text = self.as_str();
        match text.char_indices().nth(SHOWN) {
            Some((cut, _)) => write!(f, "Frame({:?}... {} bytes)", &text[..cut], text.len()),
            None => write!(f, "Frame({text:?})"),
        }
    }
}

impl std::fmt::Display for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn text_is_shared_not_copied() {
        let frame = Frame::from(String::from(r#"{"type":"pong"}"#));
        let copy = frame.clone();
        assert_eq!(frame.as_str().as_ptr(), copy.as_str().as_ptr());
        assert_eq!(frame.bytes().as_ptr(), frame.as_str().as_ptr());
        assert_eq!(copy.len(), 15);
        assert_eq!(frame, Frame::from_static(r#"{"type":"pong"}"#));
    }

    #[test]
    fn a_queued_frame_is_one_pointer() {
        assert_eq!(std::mem::size_of::<Frame>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn the_edge_form_is_made_once_per_frame() {
        let made = AtomicUsize::new(0);
        let frame = Frame::from(String::from("{}"));
        let make = |b: Bytes| {
            made.fetch_add(1, Ordering::Relaxed);
            b
        };
        let clients: Vec<Frame> = (0..5).map(|_| frame.clone()).collect();
        for c in &clients {
            assert_eq!(c.edge(make).as_ptr(), frame.as_str().as_ptr());
        }
        assert_eq!(made.load(Ordering::Relaxed), 1);
        // Another type is made each time, and the first stays.
        assert_eq!(frame.edge(|b| b.len()), 2);
        assert_eq!(frame.edge(make).len(), 2);
        assert_eq!(made.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn debug_shows_the_start_of_long_frames() {
        let long = Frame::from("é".repeat(500));
        let shown = format!("{long:?}");
        assert!(shown.ends_with("... 1000 bytes)"), "{shown}");
        assert_eq!(format!("{:?}", Frame::from_static("{}")), r#"Frame("{}")"#);
    }
}
