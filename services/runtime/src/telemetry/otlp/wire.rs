//! Protocol Buffers wire format, written straight from borrowed data: each
//! message is walked twice, once to count its length (which prefixes it) and
//! once to write it, so that nothing is copied into intermediate structs.

use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint, key_len};

/// Where an encoding goes: bytes, or a count of them.
pub(super) trait Sink {
    /// A field's key.
    fn key(&mut self, tag: u32, wire_type: WireType);
    /// A varint.
    fn varint(&mut self, value: u64);
    /// Raw bytes (a fixed-width value, or a length-delimited field's body).
    fn raw(&mut self, bytes: &[u8]);
    /// A nested message's body, `length` bytes long.
    fn body<M: Encode>(&mut self, length: usize, message: &M);
}

impl Sink for Vec<u8> {
    fn key(&mut self, tag: u32, wire_type: WireType) {
        encode_key(tag, wire_type, self);
    }

    fn varint(&mut self, value: u64) {
        encode_varint(value, self);
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn body<M: Encode>(&mut self, _: usize, message: &M) {
        message.encode(self);
    }
}

/// Counts the bytes an encoding takes.
#[derive(Default)]
pub(super) struct Length(pub usize);

impl Sink for Length {
    fn key(&mut self, tag: u32, _: WireType) {
        self.0 += key_len(tag);
    }

    fn varint(&mut self, value: u64) {
        self.0 += encoded_len_varint(value);
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }

    // Counted once, not walked again.
    fn body<M: Encode>(&mut self, length: usize, _: &M) {
        self.0 += length;
    }
}

/// A message body.
pub(super) trait Encode {
    /// Writes its fields to `sink`.
    fn encode<S: Sink>(&self, sink: &mut S);

    /// How many bytes its fields take.
    fn encoded_len(&self) -> usize {
        let mut length = Length::default();
        self.encode(&mut length);
        length.0
    }
}

/// A length-delimited field with these bytes, even when empty (a oneof).
pub(super) fn bytes_always<S: Sink>(sink: &mut S, tag: u32, bytes: &[u8]) {
    sink.key(tag, WireType::LengthDelimited);
    sink.varint(bytes.len() as u64);
    sink.raw(bytes);
}

/// A `string` or `bytes` field, left out when empty (proto3's default).
pub(super) fn bytes<S: Sink>(sink: &mut S, tag: u32, bytes: &[u8]) {
    if !bytes.is_empty() {
        bytes_always(sink, tag, bytes);
    }
}

/// A varint field (`uint32`, `int64`, an enum), even when zero (a oneof).
pub(super) fn varint_always<S: Sink>(sink: &mut S, tag: u32, value: u64) {
    sink.key(tag, WireType::Varint);
    sink.varint(value);
}

/// A varint field, left out when zero.
pub(super) fn varint<S: Sink>(sink: &mut S, tag: u32, value: u64) {
    if value != 0 {
        varint_always(sink, tag, value);
    }
}

/// A `fixed64` or `double` field, even when zero (a oneof).
pub(super) fn fixed64_always<S: Sink>(sink: &mut S, tag: u32, value: u64) {
    sink.key(tag, WireType::SixtyFourBit);
    sink.raw(&value.to_le_bytes());
}

/// A `fixed64` field, left out when zero.
pub(super) fn fixed64<S: Sink>(sink: &mut S, tag: u32, value: u64) {
    if value != 0 {
        fixed64_always(sink, tag, value);
    }
}

/// A `fixed32` field, left out when zero.
pub(super) fn fixed32<S: Sink>(sink: &mut S, tag: u32, value: u32) {
    if value != 0 {
        sink.key(tag, WireType::ThirtyTwoBit);
        sink.raw(&value.to_le_bytes());
    }
}

/// A message field, present even when its body is empty.
pub(super) fn message<S: Sink, M: Encode>(sink: &mut S, tag: u32, message: &M) {
    let length = message.encoded_len();
    sink.key(tag, WireType::LengthDelimited);
    sink.varint(length as u64);
    sink.body(length, message);
}
