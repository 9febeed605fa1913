//! A blocking `Read` over a request body that is still arriving, so blocking work (a CSV import)
//! can start on the first chunk instead of buffering the whole upload.

use std::io::{self, Read};

use actix_web::web::{Bytes, Payload};
use futures_util::StreamExt;
use tokio::sync::mpsc;

pub struct StreamedBody {
    chunks: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for StreamedBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// What happened to the upload on the async side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    Complete,
    TooLarge,
    Broken,
}

/// Returns the reader for the blocking side and a future that feeds it at most `limit` bytes.
pub fn stream(
    mut payload: Payload,
    limit: usize,
) -> (StreamedBody, impl std::future::Future<Output = Upload>) {
    let (sender, chunks) = mpsc::channel::<io::Result<Bytes>>(8);
    let feed = async move {
        let mut received = 0usize;
        while let Some(chunk) = payload.next().await {
            let outcome = match chunk {
                Ok(bytes) => {
                    received += bytes.len();
                    if received > limit {
                        Err((Upload::TooLarge, "the upload is larger than allowed"))
                    } else {
                        Ok(bytes)
                    }
                }
                Err(_) => Err((Upload::Broken, "the upload was interrupted")),
            };
            match outcome {
                Ok(bytes) => {
                    if sender.send(Ok(bytes)).await.is_err() {
                        return Upload::Complete;
                    }
                }
                Err((upload, message)) => {
                    let _ = sender.send(Err(io::Error::other(message))).await;
                    return upload;
                }
            }
        }
        Upload::Complete
    };
    (
        StreamedBody {
            chunks,
            current: Bytes::new(),
        },
        feed,
    )
}
