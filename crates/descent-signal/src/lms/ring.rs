//! The reference history as a doubled ring buffer.
//!
//! Each sample is written twice, at `p` and at `p + N`, with the write position `p` moving
//! backwards. The last N samples newest first, [x(n), x(n−1), …, x(n−N+1)], are then always
//! the one contiguous slice `buf[p .. p + N]`: no copy, no wrap-around in the hot loops, and
//! the slice of any shorter lag range (the APA's columns x(n−j)) is a sub-slice of it.

/// The last `len` samples of a signal, newest first, in 2·`len` values.
#[derive(Clone, Debug)]
pub(crate) struct History {
    buf: Vec<f64>,
    pos: usize,
    len: usize,
}

impl History {
    /// An empty history (all zeros) of `len ≥ 1` samples.
    pub(crate) fn new(len: usize) -> Self {
        Self { buf: vec![0.0; 2 * len], pos: 0, len }
    }

    /// Pushes x(n) and returns the sample that falls out, x(n − len).
    #[inline]
    pub(crate) fn push(&mut self, x: f64) -> f64 {
        self.pos = if self.pos == 0 { self.len - 1 } else { self.pos - 1 };
        let old = self.buf[self.pos];
        self.buf[self.pos] = x;
        self.buf[self.pos + self.len] = x;
        old
    }

    /// [x(n), x(n−1), …, x(n−len+1)].
    #[inline]
    pub(crate) fn slice(&self) -> &[f64] {
        &self.buf[self.pos..self.pos + self.len]
    }

    /// Back to all zeros.
    pub(crate) fn reset(&mut self) {
        self.buf.fill(0.0);
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slice_is_the_last_samples_newest_first() {
        let mut h = History::new(3);
        assert_eq!(h.slice(), &[0.0, 0.0, 0.0]);
        assert_eq!(h.push(1.0), 0.0);
        assert_eq!(h.slice(), &[1.0, 0.0, 0.0]);
        h.push(2.0);
        h.push(3.0);
        assert_eq!(h.slice(), &[3.0, 2.0, 1.0]);
        for x in 4..20 {
            assert_eq!(h.push(f64::from(x)), f64::from(x - 3));
            let x = f64::from(x);
            assert_eq!(h.slice(), &[x, x - 1.0, x - 2.0]);
        }
        h.reset();
        assert_eq!(h.slice(), &[0.0, 0.0, 0.0]);
    }
}
