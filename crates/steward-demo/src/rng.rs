//! A small deterministic random number generator (SplitMix64): the same seed gives the same data,
//! so a benchmark can be rerun on the same database contents.

pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// A number in `lo..=hi`.
    pub(crate) fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }

    /// True with probability `p` (0 to 1).
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A number in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// One of some texts.
    pub(crate) fn text(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len() as u64) as usize]
    }

    /// One of `items`, each as likely as its weight.
    pub(crate) fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut r = self.below(total);
        for (item, w) in items {
            if r < u64::from(*w) {
                return *item;
            }
            r -= u64::from(*w);
        }
        items[items.len() - 1].0
    }

    /// An index in `0..n`, the first ones far more likely (rank r with weight about 1/r): a few
    /// requesters open many tickets, most open few.
    pub(crate) fn zipf(&mut self, n: usize) -> usize {
        let u = self.unit();
        ((n as f64).powf(u) as usize)
            .saturating_sub(1)
            .min(n.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let a: Vec<u64> = (0..5).map(|_| Rng::new(7).next_u64()).collect();
        let mut r = Rng::new(7);
        let b: Vec<u64> = (0..5).map(|_| r.next_u64()).collect();
        assert_eq!(a[0], b[0]);
        assert_ne!(b[0], b[1]);
    }

    #[test]
    fn ranges_and_weights_stay_in_bounds() {
        let mut r = Rng::new(1);
        let mut seen = [0u32; 3];
        for _ in 0..10_000 {
            let x = r.between(3, 5);
            assert!((3..=5).contains(&x));
            seen[(x - 3) as usize] += 1;
            assert!(r.zipf(10) < 10);
            assert!(r.unit() < 1.0);
        }
        assert!(seen.iter().all(|n| *n > 3000), "{seen:?}");
        let heavy = (0..10_000)
            .filter(|_| r.weighted(&[(true, 9), (false, 1)]))
            .count();
        assert!((8500..9500).contains(&heavy), "{heavy}");
        assert_eq!(r.zipf(1), 0);
        assert_eq!(r.below(0), 0);
    }
}
