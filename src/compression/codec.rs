//! The three codecs, one-shot for bodies whose bytes are known and as a stream for the rest.
//! Levels are in docs/COMPRESSION.md with the measurements they come from.

use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::web::Bytes;

use super::Coding;

/// Levels for one codec set.
#[derive(Debug, Clone, Copy)]
pub struct Levels {
    pub gzip: u32,
    pub brotli: u32,
    pub zstd: i32,
}

/// Per response: the cheapest level of each codec. On a full page of clinics the next levels up
/// saved a few percent of the bytes for 1.5–3× the CPU; level 1 already meets the 25 % target.
pub const PER_RESPONSE: Levels = Levels {
    gzip: 1,
    brotli: 1,
    zstd: 1,
};

/// Bodies compressed once per process and kept (the OpenAPI document): the highest levels that
/// stay under ~50 ms for its ~1 MB, paid once per coding.
pub const ONCE: Levels = Levels {
    gzip: 9,
    brotli: 9,
    zstd: 12,
};

/// Brotli's window (log2 bytes): 4 MiB, as actix-http uses; at quality 1 the window does not change
/// the CPU cost, and no response is larger.
const BROTLI_WINDOW: u32 = 22;
/// Brotli's internal output buffer.
const BROTLI_BUFFER: usize = 16 * 1024;

/// Compresses a whole body.
pub fn compress(coding: Coding, data: &[u8], levels: Levels) -> io::Result<Vec<u8>> {
    // JSON compresses 4-10×; start near that instead of regrowing from empty.
    let out = Vec::with_capacity(data.len() / 4 + 64);
    match coding {
        Coding::Zstd => zstd::bulk::compress(data, levels.zstd),
        Coding::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::new(levels.gzip));
            encoder.write_all(data)?;
            encoder.finish()
        }
        Coding::Brotli => {
            let mut encoder = brotli::CompressorWriter::new(out, BROTLI_BUFFER, levels.brotli, BROTLI_WINDOW);
            encoder.write_all(data)?;
            // `into_inner` writes brotli's final block.
            Ok(encoder.into_inner())
        }
    }
}

/// A streaming encoder writing into a buffer the caller drains.
pub enum StreamEncoder {
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
}

impl StreamEncoder {
    pub fn new(coding: Coding, levels: Levels) -> io::Result<Self> {
        Ok(match coding {
            Coding::Zstd => Self::Zstd(zstd::stream::write::Encoder::new(Vec::new(), levels.zstd)?),
            Coding::Gzip => Self::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::new(levels.gzip),
            )),
            Coding::Brotli => Self::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                BROTLI_BUFFER,
                levels.brotli,
                BROTLI_WINDOW,
            ))),
        })
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Self::Zstd(encoder) => encoder,
            Self::Gzip(encoder) => encoder,
            Self::Brotli(encoder) => encoder.as_mut(),
        }
    }

    /// The compressed bytes produced so far.
    fn take(&mut self) -> Bytes {
        let buffer = match self {
            Self::Zstd(encoder) => encoder.get_mut(),
            Self::Gzip(encoder) => encoder.get_mut(),
            Self::Brotli(encoder) => encoder.get_mut(),
        };
        Bytes::from(std::mem::take(buffer))
    }

    /// Ends the stream; returns the last compressed bytes.
    fn finish(self) -> io::Result<Bytes> {
        let rest = match self {
            Self::Zstd(encoder) => encoder.finish()?,
            Self::Gzip(encoder) => encoder.finish()?,
            Self::Brotli(encoder) => encoder.into_inner(),
        };
        Ok(Bytes::from(rest))
    }
}

/// A streamed body compressed as it goes: each chunk is compressed when it arrives, and what the
/// encoder holds is flushed whenever the inner stream has nothing ready, so a slow producer (an
/// export waiting for its next batch) still reaches the client batch by batch.
pub struct EncodedStream {
    inner: BoxBody,
    encoder: Option<StreamEncoder>,
    unflushed: bool,
}

impl EncodedStream {
    pub fn new(inner: BoxBody, encoder: StreamEncoder) -> Self {
        Self {
            inner,
            encoder: Some(encoder),
            unflushed: false,
        }
    }
}

type BodyError = Box<dyn std::error::Error>;

impl MessageBody for EncodedStream {
    type Error = BodyError;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, BodyError>>> {
        // Every field is Unpin (BoxBody boxes its stream), so the body can be borrowed mutably.
        let this = self.get_mut();
        loop {
            let Some(encoder) = this.encoder.as_mut() else {
                return Poll::Ready(None);
            };
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Pending => {
                    if this.unflushed {
                        this.unflushed = false;
                        encoder.writer().flush()?;
                        let out = encoder.take();
                        if !out.is_empty() {
                            return Poll::Ready(Some(Ok(out)));
                        }
                    }
                    return Poll::Pending;
                }
                Poll::Ready(Some(Ok(chunk))) => {
                    // Chunks are at most one export batch (~0.5 MB, ~1 ms at level 1): compressed
                    // in place rather than handed to the blocking pool as actix-http does.
                    encoder.writer().write_all(&chunk)?;
                    this.unflushed = true;
                    let out = encoder.take();
                    if !out.is_empty() {
                        return Poll::Ready(Some(Ok(out)));
                    }
                }
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => {
                    let rest = match this.encoder.take() {
                        Some(encoder) => encoder.finish()?,
                        None => Bytes::new(),
                    };
                    return Poll::Ready((!rest.is_empty()).then_some(Ok(rest)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn decode(coding: Coding, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match coding {
            Coding::Zstd => out = zstd::stream::decode_all(data).expect("zstd"),
            Coding::Gzip => {
                flate2::read::GzDecoder::new(data)
                    .read_to_end(&mut out)
                    .expect("gzip");
            }
            Coding::Brotli => {
                brotli::Decompressor::new(data, 4096)
                    .read_to_end(&mut out)
                    .expect("br");
            }
        }
        out
    }

    fn sample() -> Vec<u8> {
        (0..2000)
            .map(|i| format!("{{\"id\":{i},\"name\":\"clinic {}\"}}\n", i * 7919 % 1000))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn whole_bodies_round_trip_at_both_level_sets() {
        let data = sample();
        for coding in Coding::PREFERENCE {
            for levels in [PER_RESPONSE, ONCE] {
                let encoded = compress(coding, &data, levels).expect("compress");
                assert!(encoded.len() < data.len() / 4, "{coding:?} compresses");
                assert_eq!(decode(coding, &encoded), data, "{coding:?}");
            }
        }
    }

    #[test]
    fn whole_bodies_are_deterministic() {
        // A strong ETag names these bytes, so the same input must give the same output.
        let data = sample();
        for coding in Coding::PREFERENCE {
            let first = compress(coding, &data, PER_RESPONSE).expect("compress");
            let second = compress(coding, &data, PER_RESPONSE).expect("compress");
            assert_eq!(first, second, "{coding:?}");
        }
    }

    #[tokio::test]
    async fn streams_round_trip_chunk_by_chunk() {
        let data = sample();
        for coding in Coding::PREFERENCE {
            let chunks: Vec<Result<Bytes, actix_web::Error>> =
                data.chunks(3000).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
            let inner = BoxBody::new(actix_web::body::BodyStream::new(futures_util::stream::iter(
                chunks,
            )));
            let encoder = StreamEncoder::new(coding, PER_RESPONSE).expect("encoder");
            let body = EncodedStream::new(inner, encoder);
            let encoded = actix_web::body::to_bytes(body).await.expect("stream");
            assert_eq!(decode(coding, &encoded), data, "{coding:?}");
        }
    }
}
