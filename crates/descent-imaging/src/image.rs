//! The image type every module shares: a 2-D grid of `f64` pixels, row-major.
//!
//! Pixel (x, y) — column x, row y, both from 0 at the top left, as FITS and PNG store rows
//! (FITS stores the bottom row first; the readers flip it so that row 0 is the top in every
//! format) — is `data[y·width + x]`. Values are linear intensities (photons, counts, or a
//! scaled brightness); nothing here assumes a range.

use crate::{Error, Result};

/// A `width × height` image of `f64` pixels, row-major; see the [module docs](self).
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    width: usize,
    height: usize,
    data: Vec<f64>,
}

impl Image {
    /// An image from its pixels, row-major.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `data` does not hold `width·height` pixels (reported as
    /// `width × (data.len() / width)`), [`Error::InvalidParameter`] for a zero side.
    pub fn new(width: usize, height: usize, data: Vec<f64>) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(Error::InvalidParameter {
                name: "image side",
                value: 0.0,
                valid: "at least 1 pixel",
            });
        }
        if width.checked_mul(height) != Some(data.len()) {
            return Err(Error::ShapeMismatch {
                what: "image pixels",
                expected: (width, height),
                got: (width, data.len() / width),
            });
        }
        Ok(Self { width, height, data })
    }

    /// A black image.
    ///
    /// # Panics
    /// If a side is 0 or `width·height` overflows.
    #[must_use]
    pub fn zeros(width: usize, height: usize) -> Self {
        assert!(width > 0 && height > 0, "an image needs at least one pixel");
        let n = width.checked_mul(height).expect("image size overflows");
        Self { width, height, data: vec![0.0; n] }
    }

    /// Columns.
    #[must_use]
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows.
    #[must_use]
    pub fn height(&self) -> usize {
        self.height
    }

    /// (width, height).
    #[must_use]
    pub fn shape(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// The pixels, row-major.
    #[must_use]
    pub fn data(&self) -> &[f64] {
        &self.data
    }

    /// The pixels, row-major, mutable.
    pub fn data_mut(&mut self) -> &mut [f64] {
        &mut self.data
    }

    /// The pixels, taken.
    #[must_use]
    pub fn into_data(self) -> Vec<f64> {
        self.data
    }

    /// Pixel (x, y).
    ///
    /// # Panics
    /// If (x, y) is outside the image.
    #[must_use]
    pub fn get(&self, x: usize, y: usize) -> f64 {
        assert!(
            x < self.width && y < self.height,
            "pixel ({x}, {y}) outside {}×{}",
            self.width,
            self.height
        );
        self.data[y * self.width + x]
    }

    /// Sets pixel (x, y).
    ///
    /// # Panics
    /// If (x, y) is outside the image.
    pub fn set(&mut self, x: usize, y: usize, value: f64) {
        assert!(
            x < self.width && y < self.height,
            "pixel ({x}, {y}) outside {}×{}",
            self.width,
            self.height
        );
        self.data[y * self.width + x] = value;
    }

    /// The total flux Σ pixels.
    #[must_use]
    pub fn sum(&self) -> f64 {
        self.data.iter().sum()
    }

    /// The brightest pixel's value (−∞ for no finite pixel).
    #[must_use]
    pub fn max(&self) -> f64 {
        self.data.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }

    /// Checks that every pixel is finite.
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the first bad pixel.
    pub fn check_finite(&self, what: &'static str) -> Result<()> {
        match self.data.iter().position(|v| !v.is_finite()) {
            None => Ok(()),
            Some(i) => Err(Error::NonFinite {
                what,
                x: i % self.width,
                y: i / self.width,
                value: self.data[i],
            }),
        }
    }

    /// Checks that `other` has this image's shape.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] otherwise.
    pub fn check_shape(&self, what: &'static str, other: &Image) -> Result<()> {
        if self.shape() == other.shape() {
            Ok(())
        } else {
            Err(Error::ShapeMismatch { what, expected: self.shape(), got: other.shape() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_major_with_checked_shape() {
        let mut im = Image::new(3, 2, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!((im.get(2, 0), im.get(0, 1)), (2.0, 3.0));
        im.set(1, 1, 10.0);
        assert_eq!(im.data()[4], 10.0);
        assert_eq!(im.sum(), 21.0);
        assert!(matches!(Image::new(3, 2, vec![0.0; 5]), Err(Error::ShapeMismatch { .. })));
        assert!(matches!(Image::new(0, 2, vec![]), Err(Error::InvalidParameter { .. })));
        im.data_mut()[5] = f64::NAN;
        assert!(matches!(im.check_finite("x"), Err(Error::NonFinite { x: 2, y: 1, .. })));
    }
}
