//! Blobs at rest: AES-256-GCM-SIV (a misuse-resistant AEAD) under a fresh
//! data key per blob; the data key is wrapped by the custodian's master key.
//! Both seals bind the blob's CID as associated data, so a sealed blob or a
//! wrapped key moved to another name does not open.

use std::io::Write;
use std::path::Path;

use aes_gcm_siv::aead::{Aead, KeyInit, Payload};
use aes_gcm_siv::Aes256GcmSiv;

pub const KEY_LEN: usize = 32;
pub const NONCE_LEN: usize = 12;

/// A blob as stored: the ciphertext (in the blob file) and what opens it (in the database).
pub struct Sealed {
    pub ciphertext: Vec<u8>,
    pub nonce: [u8; NONCE_LEN],
    pub wrapped_key: Vec<u8>,
    pub key_nonce: [u8; NONCE_LEN],
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the blob does not open: tampered, truncated, or sealed under another master key")]
    DoesNotOpen,
    #[error("no randomness: {0}")]
    Random(String),
}

/// The custodian's master key.
pub struct MasterKey(Aes256GcmSiv);

fn random<const N: usize>() -> Result<[u8; N], SealError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|e| SealError::Random(e.to_string()))?;
    Ok(bytes)
}

impl MasterKey {
    /// Reads the key file, or creates it (mode 0600, 32 random bytes) when
    /// there is none. A key file of any other size, or readable by others, is refused.
    pub fn load_or_create(path: &Path) -> anyhow::Result<MasterKey> {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::read(path) {
            Ok(bytes) => {
                let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
                anyhow::ensure!(
                    mode & 0o077 == 0,
                    "the master key {} is readable by others (mode {mode:o}); chmod 600 it",
                    path.display()
                );
                let key: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
                    anyhow::anyhow!(
                        "the master key {} is {} bytes, not {KEY_LEN}",
                        path.display(),
                        bytes.len()
                    )
                })?;
                Ok(MasterKey::from_bytes(&key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; KEY_LEN] = random()?;
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
                file.write_all(&key)?;
                file.sync_all()?;
                if let Some(dir) = path.parent() {
                    std::fs::File::open(dir)?.sync_all()?;
                }
                Ok(MasterKey::from_bytes(&key))
            }
            Err(e) => anyhow::bail!("cannot read the master key {}: {e}", path.display()),
        }
    }

    pub fn from_bytes(key: &[u8; KEY_LEN]) -> MasterKey {
        MasterKey(Aes256GcmSiv::new(&(*key).into()))
    }

    /// Seals `data` stored under `cid`.
    pub fn seal(&self, cid: &str, data: &[u8]) -> Result<Sealed, SealError> {
        let data_key: [u8; KEY_LEN] = random()?;
        let nonce: [u8; NONCE_LEN] = random()?;
        let key_nonce: [u8; NONCE_LEN] = random()?;
        let aad = cid.as_bytes();
        let ciphertext = Aes256GcmSiv::new(&data_key.into())
            .encrypt(&nonce.into(), Payload { msg: data, aad })
            .map_err(|_| SealError::DoesNotOpen)?;
        let wrapped_key = self
            .0
            .encrypt(
                &key_nonce.into(),
                Payload {
                    msg: &data_key,
                    aad,
                },
            )
            .map_err(|_| SealError::DoesNotOpen)?;
        Ok(Sealed {
            ciphertext,
            nonce,
            wrapped_key,
            key_nonce,
        })
    }

    /// Opens a blob stored under `cid`.
    pub fn open(&self, cid: &str, sealed: &Sealed) -> Result<Vec<u8>, SealError> {
        self.open_owned(
            cid,
            Sealed {
                ciphertext: sealed.ciphertext.clone(),
                nonce: sealed.nonce,
                wrapped_key: sealed.wrapped_key.clone(),
                key_nonce: sealed.key_nonce,
            },
        )
    }

    /// [`MasterKey::open`], decrypting in the ciphertext's own buffer (no copy of the data).
    pub fn open_owned(&self, cid: &str, sealed: Sealed) -> Result<Vec<u8>, SealError> {
        use aes_gcm_siv::aead::AeadInOut;
        let aad = cid.as_bytes();
        let data_key = self
            .0
            .decrypt(
                &sealed.key_nonce.into(),
                Payload {
                    msg: &sealed.wrapped_key,
                    aad,
                },
            )
            .map_err(|_| SealError::DoesNotOpen)?;
        let data_key: [u8; KEY_LEN] = data_key
            .as_slice()
            .try_into()
            .map_err(|_| SealError::DoesNotOpen)?;
        let mut buffer = sealed.ciphertext;
        Aes256GcmSiv::new(&data_key.into())
            .decrypt_in_place(&sealed.nonce.into(), aad, &mut buffer)
            .map_err(|_| SealError::DoesNotOpen)?;
        Ok(buffer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_blob_opens_under_its_key_and_name_only() {
        let key = MasterKey::from_bytes(&[7; KEY_LEN]);
        let sealed = key.seal("bafk-one", b"lab result").unwrap();
        assert_ne!(&sealed.ciphertext[..10], b"lab result");
        assert_eq!(key.open("bafk-one", &sealed).unwrap(), b"lab result");
        assert!(
            key.open("bafk-two", &sealed).is_err(),
            "moved to another name"
        );
        assert!(MasterKey::from_bytes(&[8; KEY_LEN])
            .open("bafk-one", &sealed)
            .is_err());
        let mut flipped = Sealed {
            ciphertext: sealed.ciphertext.clone(),
            ..sealed
        };
        flipped.ciphertext[0] ^= 1;
        assert!(key.open("bafk-one", &flipped).is_err(), "one bit flipped");
    }

    /// A blob sealed by the gateway before aes-gcm-siv 0.12 (0.11.1, RFC
    /// 8452): the store's format did not change. 300 bytes are 19 blocks,
    /// more than POLYVAL's 8 at a time.
    #[test]
    fn a_blob_sealed_by_the_earlier_cipher_crate_opens_byte_for_byte() {
        let unhex = |h: &str| -> Vec<u8> {
            (0..h.len() / 2)
                .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
                .collect()
        };
        let plain: Vec<u8> = (0..300u32).map(|i| (i * 31 % 251) as u8).collect();
        let sealed = Sealed {
            ciphertext: unhex("cd061a70df493dbfae78d625bba3c831f89cb7949b6ffde528bd35f4599036a219eaf8995e6a848947210a38d05c992f4f49012a84f30e91c89c4671c0b874486eedd02dc25c0e67ebfad497d166b4b837b7df4605c9b1e0f58a2349d9d222fea4a2c3b99a17eb152df39192a94edb38c4ba6bbbc68789855199efbc395f0610e1cb9b9d63519e0a8f335c50a4c22c5747f3750c95052a879e9902ebc6607a9605003670ba4ec6d3ae6360deec13fc32171f3b5dc44115fe7704e19e71b455fa59ab57d6ed87f9c23a42b46fad1fa5be4c6762f612637025bae6fc9b7d006999b575205303c3e19b1f6694614167df652eb2f4a0411195db174b35aaa0bf7888ed84a3e0c3372bea1742d4fdcfe851b956ef42c7992fbcbdc6ebeb0b49d6823c8b78eaddc57fac5387195ce82d0345401e4fcfc60c5378037784ce0e"),
            nonce: [3; NONCE_LEN],
            wrapped_key: unhex("17c5a42ff0ed4e0d6783cff82043da298dc1732556a4675095d5eafa28d5c7826da1d9e2c756c62d7c270a5a4ab40c8b"),
            key_nonce: [2; NONCE_LEN],
        };
        let key = MasterKey::from_bytes(&[7; KEY_LEN]);
        assert_eq!(key.open_owned("bafkreigolden", sealed).unwrap(), plain);
        // And this crate seals the same bytes under the same keys and nonces.
        let again = Aes256GcmSiv::new(&[1u8; KEY_LEN].into())
            .encrypt(
                &[3u8; NONCE_LEN].into(),
                Payload {
                    msg: &plain,
                    aad: b"bafkreigolden",
                },
            )
            .unwrap();
        assert_eq!(again, unhex("cd061a70df493dbfae78d625bba3c831f89cb7949b6ffde528bd35f4599036a219eaf8995e6a848947210a38d05c992f4f49012a84f30e91c89c4671c0b874486eedd02dc25c0e67ebfad497d166b4b837b7df4605c9b1e0f58a2349d9d222fea4a2c3b99a17eb152df39192a94edb38c4ba6bbbc68789855199efbc395f0610e1cb9b9d63519e0a8f335c50a4c22c5747f3750c95052a879e9902ebc6607a9605003670ba4ec6d3ae6360deec13fc32171f3b5dc44115fe7704e19e71b455fa59ab57d6ed87f9c23a42b46fad1fa5be4c6762f612637025bae6fc9b7d006999b575205303c3e19b1f6694614167df652eb2f4a0411195db174b35aaa0bf7888ed84a3e0c3372bea1742d4fdcfe851b956ef42c7992fbcbdc6ebeb0b49d6823c8b78eaddc57fac5387195ce82d0345401e4fcfc60c5378037784ce0e"));
    }

    #[test]
    fn the_key_file_is_created_private_and_read_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let a = MasterKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let sealed = a.seal("c", b"x").unwrap();
        let b = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(b.open("c", &sealed).unwrap(), b"x");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = MasterKey::load_or_create(&path).err().unwrap().to_string();
        assert!(err.contains("readable by others"), "{err}");
    }
}
