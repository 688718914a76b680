//! Long-term IAM user keys, wherever they come from (files, a credential_process, the OS
//! keyring): a leaf type that profile resolution, the keyring and IAM share.

use zeroize::Zeroizing;

/// Long-term IAM user keys from the profile files.
#[derive(Clone)]
pub struct LongTermKeys {
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
}

impl std::fmt::Debug for LongTermKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LongTermKeys({})",
            crate::error::mask_key(&self.access_key_id)
        )
    }
}
