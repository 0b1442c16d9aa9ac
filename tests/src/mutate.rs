//! A small mutation fuzzer for file readers, bounded so it runs in CI (cargo-fuzz needs a
//! nightly toolchain): from a valid seed file it makes variants the way a damaged disk, a
//! half-finished download or a hostile file would: truncations, bit flips, overwritten and
//! inserted bytes, and length fields set to huge values. Deterministic, so a failure replays
//! from its iteration number.

use crate::random::Xorshift;

/// Yields `count` mutated copies of `seed`.
pub struct Mutations<'a> {
    seed: &'a [u8],
    random: Xorshift,
    left: usize,
}

impl<'a> Mutations<'a> {
    /// Mutations of `seed`, drawn from generator `salt`.
    pub fn new(seed: &'a [u8], count: usize, salt: u64) -> Self {
        Self {
            seed,
            random: Xorshift::new(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            left: count,
        }
    }

    fn mutate(&mut self, data: &mut Vec<u8>) {
        let len = data.len();
        match self.random.below(6) {
            0 => data.truncate(self.random.below(len + 1)),
            1 => {
                for _ in 0..1 + self.random.below(8) {
                    let i = self.random.below(len);
                    if let Some(byte) = data.get_mut(i) {
                        *byte ^= 1 << self.random.below(8);
                    }
                }
            }
            2 => {
                let i = self.random.below(len);
                let n = (1 + self.random.below(16)).min(len - i.min(len));
                let fill = self.random.next_u64() as u8;
                data[i..i + n].fill(fill);
            }
            3 => {
                let i = self.random.below(len + 1);
                let extra: Vec<u8> = (0..1 + self.random.below(64))
                    .map(|_| self.random.next_u64() as u8)
                    .collect();
                data.splice(i..i, extra);
            }
            4 => {
                // A 32-bit little-endian field (a chunk size, a sample count) made huge.
                if len >= 4 {
                    let i = self.random.below(len - 3);
                    let huge = [u32::MAX, u32::MAX / 2, 0x7FFF_FFF0, 1 << 30][self.random.below(4)];
                    data[i..i + 4].copy_from_slice(&huge.to_le_bytes());
                }
            }
            _ => {
                // Two mutations at once.
                self.mutate(data);
                self.mutate(data);
            }
        }
    }
}

impl Iterator for Mutations<'_> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let mut data = self.seed.to_vec();
        self.mutate(&mut data);
        Some(data)
    }
}

/// Writes each of `count` mutations of `seed` to `path` and runs `read` on it: `read` must
/// return (an error is fine, and must name the file), never panic, and finish each file within
/// `limit`. Panics with the iteration number otherwise. Returns how many variants were
/// accepted (read without an error) and how many refused.
pub fn fuzz_file<F>(
    seed: &[u8],
    count: usize,
    salt: u64,
    path: &std::path::Path,
    limit: std::time::Duration,
    read: F,
) -> (usize, usize)
where
    F: Fn(&std::path::Path) -> Result<(), String> + Send + 'static,
{
    let (progress, seen) = std::sync::mpsc::channel();
    let variants: Vec<Vec<u8>> = Mutations::new(seed, count, salt).collect();
    let path = path.to_path_buf();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let worker = std::thread::spawn(move || {
        let (mut accepted, mut refused) = (0, 0);
        for (i, variant) in variants.iter().enumerate() {
            std::fs::write(&path, variant).expect("the fuzz file writes");
            let _ = progress.send(i);
            match read(&path) {
                Ok(()) => accepted += 1,
                Err(message) => {
                    assert!(
                        message.contains(&name),
                        "iteration {i}: the error does not name the file: {message}"
                    );
                    refused += 1;
                }
            }
        }
        (accepted, refused)
    });
    let mut last = None;
    loop {
        match seen.recv_timeout(limit) {
            Ok(i) => last = Some(i),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                panic!("iteration {last:?} took longer than {limit:?}: a hang")
            }
        }
    }
    worker
        .join()
        .unwrap_or_else(|_| panic!("a variant after iteration {last:?} panicked the reader"))
}
