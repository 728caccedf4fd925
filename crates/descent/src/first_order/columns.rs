//! How per-parameter state is laid out: one column per state component, chunk by chunk.
//!
//! Adam's state per parameter is (m, v). Stored as pairs (m₀v₀ m₁v₁ …), a vectorised pass has
//! to de-interleave every load and re-interleave every store: on the `first_order` bench that
//! costs 15–25 % against a hand-written loop over separate m and v arrays. So the optimizer
//! stores its state as columns: for each chunk of parameters (the unit the pass is split into
//! across threads), all the m's of the chunk, then all the v's. Every component is then a
//! unit-stride stream, and the chunk is still one contiguous piece of memory. A rule never sees
//! this: it works on one parameter's [`Rule::Slot`](super::Rule::Slot), which [`Columns`]
//! gathers from and scatters to the chunk's columns, code the compiler inlines away.

use super::Real;

/// A per-parameter state that can be stored as columns of `T`.
pub trait Columns<T: Real>: Copy {
    /// How many `T` one state holds (its number of columns).
    const WIDTH: usize;

    /// The columns of one chunk of `len` parameters, split apart.
    type View<'a>;

    /// Splits `cells` (`WIDTH·len` values, column after column) into the columns.
    fn view(cells: &mut [T], len: usize) -> Self::View<'_>;

    /// The state of parameter `i` of the chunk.
    fn read(view: &Self::View<'_>, i: usize) -> Self;

    /// Stores `self` as the state of parameter `i` of the chunk.
    fn write(self, view: &mut Self::View<'_>, i: usize);
}

impl<T: Real> Columns<T> for () {
    const WIDTH: usize = 0;
    type View<'a> = ();

    #[inline(always)]
    fn view(_cells: &mut [T], _len: usize) {}

    #[inline(always)]
    fn read((): &(), _i: usize) {}

    #[inline(always)]
    fn write(self, (): &mut (), _i: usize) {}
}

impl<T: Real> Columns<T> for T {
    const WIDTH: usize = 1;
    type View<'a> = &'a mut [T];

    #[inline(always)]
    fn view(cells: &mut [T], len: usize) -> &mut [T] {
        &mut cells[..len]
    }

    #[inline(always)]
    fn read(view: &&mut [T], i: usize) -> T {
        view[i]
    }

    #[inline(always)]
    fn write(self, view: &mut &mut [T], i: usize) {
        view[i] = self;
    }
}

impl<T: Real> Columns<T> for [T; 2] {
    const WIDTH: usize = 2;
    type View<'a> = [&'a mut [T]; 2];

    #[inline(always)]
    fn view(cells: &mut [T], len: usize) -> Self::View<'_> {
        let (a, b) = cells[..2 * len].split_at_mut(len);
        [a, b]
    }

    #[inline(always)]
    fn read(view: &Self::View<'_>, i: usize) -> Self {
        [view[0][i], view[1][i]]
    }

    #[inline(always)]
    fn write(self, view: &mut Self::View<'_>, i: usize) {
        view[0][i] = self[0];
        view[1][i] = self[1];
    }
}

impl<T: Real> Columns<T> for [T; 3] {
    const WIDTH: usize = 3;
    type View<'a> = [&'a mut [T]; 3];

    #[inline(always)]
    fn view(cells: &mut [T], len: usize) -> Self::View<'_> {
        let (a, rest) = cells[..3 * len].split_at_mut(len);
        let (b, c) = rest.split_at_mut(len);
        [a, b, c]
    }

    #[inline(always)]
    fn read(view: &Self::View<'_>, i: usize) -> Self {
        [view[0][i], view[1][i], view[2][i]]
    }

    #[inline(always)]
    fn write(self, view: &mut Self::View<'_>, i: usize) {
        view[0][i] = self[0];
        view[1][i] = self[1];
        view[2][i] = self[2];
    }
}

impl<T: Real, A: Columns<T>, B: Columns<T>> Columns<T> for (A, B) {
    const WIDTH: usize = A::WIDTH + B::WIDTH;
    type View<'a> = (A::View<'a>, B::View<'a>);

    #[inline(always)]
    fn view(cells: &mut [T], len: usize) -> Self::View<'_> {
        let (a, b) = cells.split_at_mut(A::WIDTH * len);
        (A::view(a, len), B::view(b, len))
    }

    #[inline(always)]
    fn read(view: &Self::View<'_>, i: usize) -> Self {
        (A::read(&view.0, i), B::read(&view.1, i))
    }

    #[inline(always)]
    fn write(self, view: &mut Self::View<'_>, i: usize) {
        self.0.write(&mut view.0, i);
        self.1.write(&mut view.1, i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_reads_back_what_was_written() {
        type Slot = ((), ([f64; 2], (f64, [f64; 3])));
        assert_eq!(<Slot as Columns<f64>>::WIDTH, 6);
        let len = 5;
        let mut cells = vec![0.0; 6 * len];
        let make = |i: usize| -> Slot {
            let x = i as f64;
            ((), ([x, -x], (x * 10.0, [x + 0.5, x + 0.25, x + 0.125])))
        };
        let mut view = <Slot as Columns<f64>>::view(&mut cells, len);
        for i in 0..len {
            make(i).write(&mut view, i);
        }
        for i in 0..len {
            assert_eq!(<Slot as Columns<f64>>::read(&view, i), make(i));
        }
        // Column after column: the first column holds the first component of every parameter.
        assert_eq!(&cells[..len], &[0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(&cells[len..2 * len], &[0.0, -1.0, -2.0, -3.0, -4.0]);
    }
}
