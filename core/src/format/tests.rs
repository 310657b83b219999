//! Round trips and damage detection of every encoder and decoder of the format.

use super::*;

#[test]
fn file_names_sort_by_offset_and_parse_back() {
    let a = file_name(9, FileKind::Store);
    let b = file_name(10, FileKind::Store);
    assert_eq!(a, "00000000000000000009.store");
    assert!(a < b);
    assert_eq!(parse_file_name(&b), Some((10, FileKind::Store)));
    assert_eq!(
        parse_file_name("00000000000000000010.index"),
        Some((10, FileKind::Index))
    );
    assert_eq!(parse_file_name("10.store"), None);
    assert_eq!(parse_file_name("0000000000000000001x.store"), None);
    assert_eq!(parse_file_name("00000000000000000010.log"), None);
}

#[test]
fn header_round_trip_and_rejections() {
    let want = FileHeader {
        epoch: 5,
        durable_count: 77,
        ..FileHeader::new(42, FLAG_REBASE)
    };
    let h = encode_file_header(FileKind::Store, &want);
    assert_eq!(decode_file_header(FileKind::Store, &h), Ok(want));
    assert!(matches!(
        decode_file_header(FileKind::Index, &h),
        Err(HeaderError::Bad(_))
    ));
    assert_eq!(
        decode_file_header(FileKind::Store, &h[..10]),
        Err(HeaderError::Short)
    );
    assert_eq!(
        decode_file_header(FileKind::Store, &[0u8; 32]),
        Err(HeaderError::Zeroed)
    );
    let mut bad = h;
    bad[17] ^= 1;
    assert!(matches!(
        decode_file_header(FileKind::Store, &bad),
        Err(HeaderError::Bad(_))
    ));
}

#[test]
fn version_1_headers_are_read() {
    // A version-1 header: the checksum of bytes 0..24 at 24, bytes 28..32 reserved.
    let mut v1 = [0u8; 32];
    v1[0..8].copy_from_slice(&STORE_MAGIC);
    v1[8..12].copy_from_slice(&1u32.to_le_bytes());
    v1[12..16].copy_from_slice(&FLAG_PREV_UNSYNCED.to_le_bytes());
    v1[16..24].copy_from_slice(&9u64.to_le_bytes());
    let crc = crate::crc::crc32c(&v1[0..24]);
    v1[24..28].copy_from_slice(&crc.to_le_bytes());
    let h = decode_file_header(FileKind::Store, &v1).unwrap();
    assert_eq!(
        (h.version, h.base, h.flags, h.epoch, h.durable_count),
        (1, 9, FLAG_PREV_UNSYNCED, 0, 0)
    );
    let mut v4 = v1;
    v4[8..12].copy_from_slice(&4u32.to_le_bytes());
    assert_eq!(
        decode_file_header(FileKind::Store, &v4),
        Err(HeaderError::Version(4))
    );
}

#[test]
fn record_flags_carry_commit_epoch_and_claim() {
    let f = record_flags(true, 129, 1 << 30);
    let h = RecordHeader {
        crc: 0,
        len: 0,
        offset: 0,
        timestamp: 0,
        flags: f,
        frame: false,
    };
    assert!(h.is_commit());
    assert_eq!((h.epoch(), h.durable_claim()), (1, MAX_CLAIM));
    let h = RecordHeader {
        flags: record_flags(false, 7, 300),
        ..h
    };
    assert!(!h.is_commit());
    assert_eq!((h.epoch(), h.durable_claim()), (7, 300));
    assert!(!h.is_frame());
}

#[test]
fn the_frame_bit_is_the_timestamps_top_bit() {
    let mut buf = vec![0u8; 28 + 3];
    encode_record(&mut buf, 9, 1_700_000_000_000 | TIMESTAMP_FRAME, 1, b"abc");
    let h = decode_record_header(&buf).unwrap();
    assert_eq!(
        (h.timestamp, h.frame, h.offset),
        (1_700_000_000_000, true, 9)
    );
    encode_record(&mut buf, 9, 1_700_000_000_000, 1, b"abc");
    assert!(!decode_record_header(&buf).unwrap().is_frame());
}

#[test]
fn version_3_headers_carry_the_codec_and_version_2_ones_none() {
    let want = FileHeader {
        codec: CODEC_ZSTD,
        level: 9,
        epoch: 3,
        ..FileHeader::new(7, FLAG_CUT_IN_FRAME)
    };
    let b = encode_file_header(FileKind::Store, &want);
    assert_eq!(decode_file_header(FileKind::Store, &b), Ok(want));
    assert_ne!(want.codec, CODEC_NONE);
    // The same bytes as version 2 (whose bytes 14..16 are reserved): no codec.
    let mut v2 = b;
    v2[8..12].copy_from_slice(&2u32.to_le_bytes());
    let crc = crate::crc::crc32c(&v2[0..28]);
    v2[28..32].copy_from_slice(&crc.to_le_bytes());
    let h = decode_file_header(FileKind::Store, &v2).unwrap();
    assert_eq!(
        (h.version, h.codec, h.level, h.epoch),
        (2, CODEC_NONE, 0, 3)
    );
}

#[test]
fn frame_headers_round_trip() {
    let h = FrameHeader {
        codec: CODEC_LZ4,
        flags: FRAME_TIMES,
        count: 70_000,
        raw_len: 1 << 30,
    };
    let mut b = [0xffu8; 12];
    encode_frame_header(&mut b, &h);
    assert_eq!(decode_frame_header(&b), Some(h));
    assert_eq!(decode_frame_header(&b[..11]), None);
}

#[test]
fn record_round_trip_and_checksum() {
    let value = b"hello";
    let mut buf = vec![0u8; RECORD_HEADER_LEN as usize + value.len()];
    encode_record(&mut buf, 7, 1234, FLAG_COMMIT, value);
    let h = decode_record_header(&buf).unwrap();
    assert_eq!(
        (h.len, h.offset, h.timestamp, h.is_commit()),
        (5, 7, 1234, true)
    );
    assert!(record_crc_ok(&buf));
    for i in 0..buf.len() {
        let mut flipped = buf.clone();
        flipped[i] ^= 0x10;
        assert!(!record_crc_ok(&flipped), "flip at byte {i} went unnoticed");
    }
    assert_eq!(decode_record_header(&[0u8; 28]), None);
}
