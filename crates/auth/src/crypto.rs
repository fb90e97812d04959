//! The JWT signatures, computed with `ring`: `jsonwebtoken`'s own backends are `aws-lc-rs`
//! (a C library whose build took a minute of the devserver's first build and about 1 MB of
//! every Lambda zip) or the RustCrypto crates, and `ring` is already in the tree (rustls,
//! the server API's signer). [`install`] makes it the process's provider; every entry
//! point of this crate calls it, and code that calls `jsonwebtoken` directly (tests, the
//! fuzzer) calls it first.
//!
//! Supported: HS256/384/512 (sign and verify), RS256/384/512 (sign and verify), PS256/384/512
//! (verify), ES256/ES384 (verify), EdDSA (verify). The verifier pins the algorithm per
//! configuration (HS256 or RS256), so the others are here only for completeness of the
//! provider, not reachable from a token.

use std::sync::Once;

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::signature as sig;
use ring::{digest, hmac, rand};

/// Makes [`PROVIDER`] `jsonwebtoken`'s provider for this process (once; later calls, and a
/// provider installed by someone else first, change nothing).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = PROVIDER.install_default();
    });
}

/// `jsonwebtoken`'s [`CryptoProvider`] backed by `ring`.
pub static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: rsa_components_from_private_key,
        // Only for building a JWK from a DER public key, which nothing here does.
        rsa_pub_components_from_public_key: |_| Err(ErrorKind::InvalidRsaKey("unsupported".into()).into()),
        ec_pub_components_from_private_key: |_, _| Err(ErrorKind::InvalidEcdsaKey.into()),
        ed_pub_components_from_private_key: |_, _| Err(ErrorKind::InvalidEddsaKey.into()),
        compute_digest,
    },
};

fn hmac_algorithm(alg: Algorithm) -> Option<hmac::Algorithm> {
    match alg {
        Algorithm::HS256 => Some(hmac::HMAC_SHA256),
        Algorithm::HS384 => Some(hmac::HMAC_SHA384),
        Algorithm::HS512 => Some(hmac::HMAC_SHA512),
        _ => None,
    }
}

fn rsa_signing(alg: Algorithm) -> Option<&'static dyn sig::RsaEncoding> {
    match alg {
        Algorithm::RS256 => Some(&sig::RSA_PKCS1_SHA256),
        Algorithm::RS384 => Some(&sig::RSA_PKCS1_SHA384),
        Algorithm::RS512 => Some(&sig::RSA_PKCS1_SHA512),
        _ => None,
    }
}

fn rsa_verification(alg: Algorithm) -> Option<&'static sig::RsaParameters> {
    match alg {
        Algorithm::RS256 => Some(&sig::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => Some(&sig::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => Some(&sig::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => Some(&sig::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => Some(&sig::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => Some(&sig::RSA_PSS_2048_8192_SHA512),
        _ => None,
    }
}

fn other_verification(alg: Algorithm) -> Option<&'static dyn sig::VerificationAlgorithm> {
    match alg {
        Algorithm::ES256 => Some(&sig::ECDSA_P256_SHA256_FIXED),
        Algorithm::ES384 => Some(&sig::ECDSA_P384_SHA384_FIXED),
        Algorithm::EdDSA => Some(&sig::ED25519),
        _ => None,
    }
}

struct HmacKey(Algorithm, hmac::Key);

impl Signer<Vec<u8>> for HmacKey {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        Ok(hmac::sign(&self.1, msg).as_ref().to_vec())
    }
}

impl Verifier<Vec<u8>> for HmacKey {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        hmac::verify(&self.1, msg, signature).map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for HmacKey {
    fn algorithm(&self) -> Algorithm {
        self.0
    }
}

impl JwtVerifier for HmacKey {
    fn algorithm(&self) -> Algorithm {
        self.0
    }
}

struct RsaSigner(Algorithm, &'static dyn sig::RsaEncoding, sig::RsaKeyPair);

impl Signer<Vec<u8>> for RsaSigner {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let mut out = vec![0; self.2.public().modulus_len()];
        self.2.sign(self.1, &rand::SystemRandom::new(), msg, &mut out).map_err(|_| signature::Error::new())?;
        Ok(out)
    }
}

impl JwtSigner for RsaSigner {
    fn algorithm(&self) -> Algorithm {
        self.0
    }
}

/// A public-key verifier: RSA (DER or modulus and exponent), ECDSA, Ed25519.
struct PublicKey {
    alg: Algorithm,
    key: DecodingKeyKind,
}

impl Verifier<Vec<u8>> for PublicKey {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let refused = |_| signature::Error::new();
        match (&self.key, rsa_verification(self.alg), other_verification(self.alg)) {
            (DecodingKeyKind::RsaModulusExponent { n, e }, Some(params), _) => {
                sig::RsaPublicKeyComponents { n, e }.verify(params, msg, signature).map_err(refused)
            }
            (DecodingKeyKind::SecretOrDer(der), Some(params), _) => {
                sig::UnparsedPublicKey::new(params, der).verify(msg, signature).map_err(refused)
            }
            (DecodingKeyKind::SecretOrDer(der), None, Some(alg)) => {
                sig::UnparsedPublicKey::new(alg, der).verify(msg, signature).map_err(refused)
            }
            _ => Err(signature::Error::new()),
        }
    }
}

impl JwtVerifier for PublicKey {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

fn invalid_key() -> Error {
    ErrorKind::InvalidKeyFormat.into()
}

fn new_signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    let alg = *alg;
    if let Some(h) = hmac_algorithm(alg) {
        if key.family() != AlgorithmFamily::Hmac {
            return Err(invalid_key());
        }
        return Ok(Box::new(HmacKey(alg, hmac::Key::new(h, key.as_bytes()))));
    }
    match rsa_signing(alg) {
        Some(encoding) if key.family() == AlgorithmFamily::Rsa => {
            let pair = sig::RsaKeyPair::from_der(key.as_bytes())
                .map_err(|e| Error::from(ErrorKind::InvalidRsaKey(e.to_string())))?;
            Ok(Box::new(RsaSigner(alg, encoding, pair)))
        }
        Some(_) => Err(invalid_key()),
        None => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    let alg = *alg;
    if let Some(h) = hmac_algorithm(alg) {
        if key.family() != AlgorithmFamily::Hmac {
            return Err(invalid_key());
        }
        return Ok(Box::new(HmacKey(alg, hmac::Key::new(h, key.try_get_as_bytes()?))));
    }
    let family = match alg {
        Algorithm::ES256 | Algorithm::ES384 => AlgorithmFamily::Ec,
        Algorithm::EdDSA => AlgorithmFamily::Ed,
        _ => AlgorithmFamily::Rsa,
    };
    if key.family() != family {
        return Err(invalid_key());
    }
    Ok(Box::new(PublicKey { alg, key: key.kind().clone() }))
}

fn rsa_components_from_private_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let pair = sig::RsaKeyPair::from_der(der).map_err(|e| Error::from(ErrorKind::InvalidRsaKey(e.to_string())))?;
    let components: sig::RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
    Ok((components.n, components.e))
}

fn compute_digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>, Error> {
    let alg = match hash {
        ThumbprintHash::SHA256 => &digest::SHA256,
        ThumbprintHash::SHA384 => &digest::SHA384,
        ThumbprintHash::SHA512 => &digest::SHA512,
        _ => return Err(ErrorKind::InvalidAlgorithm.into()),
    };
    Ok(digest::digest(alg, data).as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hs256_signs_and_verifies_and_refuses_another_key() {
        install();
        let key = EncodingKey::from_secret(b"s3cret-s3cret-s3cret-s3cret-s3cr");
        let signer = new_signer(&Algorithm::HS256, &key).expect("signer");
        let sig = signer.try_sign(b"msg").expect("sign");
        let good = new_verifier(&Algorithm::HS256, &DecodingKey::from_secret(b"s3cret-s3cret-s3cret-s3cret-s3cr"));
        assert!(good.expect("verifier").verify(b"msg", &sig).is_ok());
        let other = new_verifier(&Algorithm::HS256, &DecodingKey::from_secret(b"another")).expect("verifier");
        assert!(other.verify(b"msg", &sig).is_err());
    }

    #[test]
    fn a_key_of_another_family_is_refused() {
        let hmac = DecodingKey::from_secret(b"k");
        assert!(new_verifier(&Algorithm::RS256, &hmac).is_err());
        let rsa = DecodingKey::from_rsa_components("AQAB", "AQAB").expect("components");
        assert!(new_verifier(&Algorithm::HS256, &rsa).is_err());
        assert!(new_verifier(&Algorithm::ES256, &rsa).is_err());
    }
}
