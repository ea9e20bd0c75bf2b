//! Protocol Buffers wire format, written straight from borrowed data in one
//! pass: a nested message's length prefix is written after its body, so
//! nothing is walked twice and nothing is copied into intermediate structs.

use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint};

/// A message body.
pub(super) trait Encode {
    /// Appends its fields to `buf`.
    fn encode(&self, buf: &mut Vec<u8>);
}

/// A length-delimited field with these bytes, even when empty (a oneof).
pub(super) fn bytes_always(buf: &mut Vec<u8>, tag: u32, bytes: &[u8]) {
    encode_key(tag, WireType::LengthDelimited, buf);
    encode_varint(bytes.len() as u64, buf);
    buf.extend_from_slice(bytes);
}

/// A `string` or `bytes` field, left out when empty (proto3's default).
pub(super) fn bytes(buf: &mut Vec<u8>, tag: u32, bytes: &[u8]) {
    if !bytes.is_empty() {
        bytes_always(buf, tag, bytes);
    }
}

/// A varint field (`uint32`, `int64`, an enum), even when zero (a oneof).
pub(super) fn varint_always(buf: &mut Vec<u8>, tag: u32, value: u64) {
    encode_key(tag, WireType::Varint, buf);
    encode_varint(value, buf);
}

/// A varint field, left out when zero.
pub(super) fn varint(buf: &mut Vec<u8>, tag: u32, value: u64) {
    if value != 0 {
        varint_always(buf, tag, value);
    }
}

/// A `fixed64` or `double` field, even when zero (a oneof).
pub(super) fn fixed64_always(buf: &mut Vec<u8>, tag: u32, value: u64) {
    encode_key(tag, WireType::SixtyFourBit, buf);
    buf.extend_from_slice(&value.to_le_bytes());
}

/// A `fixed64` field, left out when zero.
pub(super) fn fixed64(buf: &mut Vec<u8>, tag: u32, value: u64) {
    if value != 0 {
        fixed64_always(buf, tag, value);
    }
}

/// A `fixed32` field, left out when zero.
pub(super) fn fixed32(buf: &mut Vec<u8>, tag: u32, value: u32) {
    if value != 0 {
        encode_key(tag, WireType::ThirtyTwoBit, buf);
        buf.extend_from_slice(&value.to_le_bytes());
    }
}

/// A message field, present even when its body is empty.
pub(super) fn message<M: Encode>(buf: &mut Vec<u8>, tag: u32, message: &M) {
    encode_key(tag, WireType::LengthDelimited, buf);
    // Most bodies here (attributes, values) are under 128 bytes, whose length
    // takes one byte: reserve that, and move the body along for a longer one.
    let prefix = buf.len();
    buf.push(0);
    message.encode(buf);
    let length = buf.len() - prefix - 1;
    let prefix_len = encoded_len_varint(length as u64);
    if prefix_len > 1 {
        let body = prefix + 1..buf.len();
        buf.resize(buf.len() + prefix_len - 1, 0);
        buf.copy_within(body, prefix + prefix_len);
    }
    encode_varint(length as u64, &mut &mut buf[prefix..prefix + prefix_len]);
}

#[cfg(test)]
mod tests {
    use prost::encoding::{decode_key, decode_varint};

    use super::*;

    /// A message of one `bytes` field.
    struct Blob(Vec<u8>);

    impl Encode for Blob {
        fn encode(&self, buf: &mut Vec<u8>) {
            bytes(buf, 1, &self.0);
        }
    }

    /// Two levels of nesting, so that an inner prefix that grows moves the
    /// outer body too.
    struct Wrapped(Blob);

    impl Encode for Wrapped {
        fn encode(&self, buf: &mut Vec<u8>) {
            varint(buf, 1, 7);
            message(buf, 2, &self.0);
        }
    }

    #[test]
    fn a_length_prefix_is_the_shortest_varint_whatever_the_body_length() {
        // Around each varint width: 1 byte up to 127, 2 up to 16,383, 3 beyond.
        for blob_len in [0, 1, 100, 124, 125, 126, 200, 16_376, 16_377, 16_378, 20_000, 2_100_000] {
            let blob = vec![0xa5; blob_len];
            let mut buf = vec![0xff];
            message(&mut buf, 3, &Wrapped(Blob(blob.clone())));

            let mut expected_blob = Vec::new();
            if blob_len > 0 {
                encode_key(1, WireType::LengthDelimited, &mut expected_blob);
                encode_varint(blob_len as u64, &mut expected_blob);
                expected_blob.extend_from_slice(&blob);
            }
            let mut expected_wrapped = vec![0x08, 7];
            encode_key(2, WireType::LengthDelimited, &mut expected_wrapped);
            encode_varint(expected_blob.len() as u64, &mut expected_wrapped);
            expected_wrapped.extend_from_slice(&expected_blob);
            let mut expected = vec![0xff];
            encode_key(3, WireType::LengthDelimited, &mut expected);
            encode_varint(expected_wrapped.len() as u64, &mut expected);
            expected.extend_from_slice(&expected_wrapped);
            assert!(buf == expected, "a blob of {blob_len} bytes");

            let mut read = &buf[1..];
            assert_eq!(decode_key(&mut read).unwrap(), (3, WireType::LengthDelimited));
            assert_eq!(decode_varint(&mut read).unwrap(), read.len() as u64, "a blob of {blob_len} bytes");
        }
    }
}
