//! Blobs at rest: AES-256-GCM-SIV (a misuse-resistant AEAD) under a fresh
//! data key per blob; the data key is wrapped by the custodian's master key.
//! Both seals bind the blob's CID as associated data, so a sealed blob or a
//! wrapped key moved to another name does not open.

use std::io::Write;
use std::path::Path;

use aes_gcm_siv::aead::{Aead, KeyInit, Payload};
use aes_gcm_siv::{Aes256GcmSiv, Nonce};

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
        MasterKey(Aes256GcmSiv::new(key.into()))
    }

    /// Seals `data` stored under `cid`.
    pub fn seal(&self, cid: &str, data: &[u8]) -> Result<Sealed, SealError> {
        let data_key: [u8; KEY_LEN] = random()?;
        let nonce: [u8; NONCE_LEN] = random()?;
        let key_nonce: [u8; NONCE_LEN] = random()?;
        let aad = cid.as_bytes();
        let ciphertext = Aes256GcmSiv::new((&data_key).into())
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: data, aad })
            .map_err(|_| SealError::DoesNotOpen)?;
        let wrapped_key = self
            .0
            .encrypt(
                Nonce::from_slice(&key_nonce),
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
        use aes_gcm_siv::aead::AeadInPlace;
        let aad = cid.as_bytes();
        let data_key = self
            .0
            .decrypt(
                Nonce::from_slice(&sealed.key_nonce),
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
        Aes256GcmSiv::new((&data_key).into())
            .decrypt_in_place(Nonce::from_slice(&sealed.nonce), aad, &mut buffer)
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
