//! Request bodies that must keep arriving: [`TimedBody`] fails a body whose client goes quiet
//! for too long, or that is not all there within a total time, so a slow client cannot hold a
//! request (and its permit) open indefinitely.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// How long a request body may take.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeouts {
    /// Longest wait for the next frame while the body is being read.
    pub idle: Duration,
    /// Longest time from the start of the request to the body's end.
    pub total: Duration,
}

/// A request body failed with [`wasmtime_wasi_http::Error::ConnectionReadTimeout`] when a
/// [`BodyTimeouts`] limit passes.
///
/// The idle clock runs only while the reader waits for a frame: a component that is slow to
/// read does not count against the client.
pub struct TimedBody<B> {
    inner: B,
    timeouts: BodyTimeouts,
    /// When the whole body must have arrived.
    total_deadline: Instant,
    /// Since when the reader has been waiting for the next frame, if it is.
    waiting_since: Option<Instant>,
    /// Armed on the first wait, for the earlier of the two deadlines.
    sleep: Option<Pin<Box<Sleep>>>,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    Ended,
    TimedOut,
}

impl<B> TimedBody<B> {
    /// Wraps `inner`; the total time starts now.
    pub fn new(inner: B, timeouts: BodyTimeouts) -> Self {
        Self {
            inner,
            timeouts,
            total_deadline: Instant::now() + timeouts.total,
            waiting_since: None,
            sleep: None,
            state: State::Reading,
        }
    }

    /// Polls the timer for the current wait; ready once a deadline has passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let waiting_since = *self.waiting_since.get_or_insert_with(Instant::now);
        let deadline = self.total_deadline.min(waiting_since + self.timeouts.idle);
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() != deadline {
            sleep.as_mut().reset(deadline);
        }
        sleep.as_mut().poll(cx)
    }

    fn timed_out(&mut self) -> wasmtime_wasi_http::Error {
        if self.state == State::Reading {
            let which = if Instant::now() >= self.total_deadline {
                "the request body did not arrive within the body timeout"
            } else {
                "the request body stalled longer than the body idle timeout"
            };
            tracing::debug!(timeouts = ?self.timeouts, "{which}");
        }
        self.state = State::TimedOut;
        wasmtime_wasi_http::Error::ConnectionReadTimeout
    }
}

impl<B> Body for TimedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<wasmtime_wasi_http::Error>,
{
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match this.state {
            State::Reading => {}
            State::Ended => return Poll::Ready(None),
            // Keep failing: ending now would pass a truncated body off as complete.
            State::TimedOut => return Poll::Ready(Some(Err(this.timed_out()))),
        }
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            this.waiting_since = None;
            if frame.is_none() {
                this.state = State::Ended;
            }
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        ready!(this.poll_deadline(cx));
        Poll::Ready(Some(Err(this.timed_out())))
    }

    fn is_end_stream(&self) -> bool {
        match self.state {
            State::Reading => self.inner.is_end_stream(),
            State::Ended => true,
            State::TimedOut => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use http_body_util::{BodyExt as _, StreamBody};
    use tokio::sync::mpsc;

    use super::*;

    type Sender = mpsc::Sender<Result<Frame<Bytes>, Infallible>>;

    /// A body fed through the returned sender.
    fn channel_body(
        timeouts: BodyTimeouts,
    ) -> (
        Sender,
        TimedBody<impl Body<Data = Bytes, Error = Infallible> + Unpin>,
    ) {
        let (tx, rx) = mpsc::channel(4);
        let stream =
            futures::stream::unfold(rx, |mut rx| async { rx.recv().await.map(|f| (f, rx)) });
        (
            tx,
            TimedBody::new(StreamBody::new(Box::pin(stream)), timeouts),
        )
    }

    fn data(bytes: &'static [u8]) -> Result<Frame<Bytes>, Infallible> {
        Ok(Frame::data(Bytes::from_static(bytes)))
    }

    const GENEROUS: Duration = Duration::from_secs(20);

    #[tokio::test]
    async fn a_body_that_keeps_coming_is_read_whole() {
        let timeouts = BodyTimeouts {
            idle: Duration::from_secs(10),
            total: Duration::from_secs(10),
        };
        let (tx, body) = channel_body(timeouts);
        tokio::spawn(async move {
            for part in [&b"one "[..], b"two"] {
                tx.send(data(part)).await.unwrap();
            }
        });
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"one two");
    }

    #[tokio::test]
    async fn a_stalled_body_fails_after_the_idle_timeout_and_stays_failed() {
        let timeouts = BodyTimeouts {
            idle: Duration::from_millis(50),
            total: Duration::from_secs(3600),
        };
        let (tx, mut body) = channel_body(timeouts);
        tx.send(data(b"first")).await.unwrap();
        let first = body.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), "first");
        let error = tokio::time::timeout(GENEROUS, body.frame()).await.unwrap();
        assert!(matches!(
            error,
            Some(Err(wasmtime_wasi_http::Error::ConnectionReadTimeout))
        ));
        assert!(matches!(body.frame().await, Some(Err(_))));
        assert!(!body.is_end_stream());
        drop(tx);
    }

    #[tokio::test]
    async fn a_trickling_body_fails_after_the_total_timeout() {
        let timeouts = BodyTimeouts {
            idle: Duration::from_secs(3600),
            total: Duration::from_millis(200),
        };
        let (tx, body) = channel_body(timeouts);
        let feeder = tokio::spawn(async move {
            while tx.send(data(b".")).await.is_ok() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        let result = tokio::time::timeout(GENEROUS, body.collect())
            .await
            .unwrap();
        assert!(matches!(
            result,
            Err(wasmtime_wasi_http::Error::ConnectionReadTimeout)
        ));
        feeder.await.unwrap();
    }
}
