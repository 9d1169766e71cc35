using FsCheck.Xunit;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Tensors.Tests;

/// <summary>
/// View semantics: every view reads the right elements (checked against index arithmetic on
/// the original) and writes through to the shared storage.
/// </summary>
public class TensorViewTests
{
    private static int[] RandomShape(Random rng, int maxRank = 4, int maxDim = 5)
    {
        int rank = rng.Next(0, maxRank + 1);
        var s = new int[rank];
        for (int i = 0; i < rank; i++) s[i] = rng.Next(1, maxDim + 1);
        return s;
    }

    private static Tensor<double> Iota(params int[] shape)
    {
        int n = ShapeUtil.ElementCount(shape);
        var data = new double[n];
        for (int i = 0; i < n; i++) data[i] = i;
        return Tensor.FromArray(data, shape);
    }

    // Row-major unravel of a flat index.
    private static int[] Unravel(int flat, ReadOnlySpan<int> shape)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = flat % shape[d]; flat /= shape[d]; }
        return idx;
    }

    [Property(MaxTest = 200)]
    public void Permute_reads_transposed_index(int seed)
    {
        var rng = new Random(seed);
        var shape = RandomShape(rng);
        var x = Iota(shape);
        var order = Enumerable.Range(0, shape.Length).OrderBy(_ => rng.Next()).ToArray();
        var p = x.Permute(order);
        for (int f = 0; f < p.Length; f++)
        {
            var pi = Unravel(f, p.Shape);
            var xi = new int[shape.Length];
            for (int d = 0; d < order.Length; d++) xi[order[d]] = pi[d];
            Assert.Equal(x[xi], p[pi]);
        }
    }

    [Property(MaxTest = 200)]
    public void Slice_with_steps_matches_python_semantics(int seed)
    {
        var rng = new Random(seed);
        int n = rng.Next(0, 12);
        var x = Iota(n);
        int start = rng.Next(-n - 2, n + 3), stop = rng.Next(-n - 2, n + 3);
        int step = rng.Next(1, 4) * (rng.Next(2) == 0 ? 1 : -1);
        var s = x.Slice(0, start, stop, step).ToArray();
        // Oracle: Python's slice.indices, written out.
        int lo, hi;
        if (step > 0)
        {
            lo = start < 0 ? Math.Max(start + n, 0) : Math.Min(start, n);
            hi = stop < 0 ? Math.Max(stop + n, 0) : Math.Min(stop, n);
        }
        else
        {
            lo = start < 0 ? Math.Max(start + n, -1) : Math.Min(start, n - 1);
            hi = stop < 0 ? Math.Max(stop + n, -1) : Math.Min(stop, n - 1);
        }
        var expected = new List<double>();
        for (int i = lo; step > 0 ? i < hi : i > hi; i += step) expected.Add(i);
        Assert.Equal(expected.ToArray(), s);
    }

    [Fact]
    public void Views_write_through_to_storage()
    {
        var x = Tensor.Zeros<float>(3, 4);
        x.Mt.Select(0, 2).Fill(7f);          // column 2
        x.Slice(0, 0, 3, 2).Select(1, 0).Fill(1f); // rows 0 and 2, column 0
        x.Reshape(12).Slice(0, 11, 12)[0] = 5f;
        Assert.Equal(new float[] { 1, 0, 7, 0, 0, 0, 7, 0, 1, 0, 7, 5 }, x.ToArray());
    }

    [Fact]
    public void Expand_repeats_without_copying_and_writes_to_the_single_element()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, 3, 1);
        var e = x.Expand(2, 3, 4);
        Assert.Equal(new[] { 0, 1, 0 }, e.Strides.ToArray());
        Assert.Equal(2.0, e[1, 1, 3]);
        e[0, 2, 0] = 9;
        Assert.Equal(9.0, x[2, 0]);
        Assert.Throws<ArgumentException>(() => x.Expand(2, 2));
    }

    [Property(MaxTest = 200)]
    public void Reshape_preserves_row_major_order_even_for_strided_views(int seed)
    {
        var rng = new Random(seed);
        var shape = RandomShape(rng, 3);
        var x = Iota(shape);
        var order = Enumerable.Range(0, shape.Length).OrderBy(_ => rng.Next()).ToArray();
        var p = x.Permute(order);
        var flat = p.ToArray();
        var r = p.Reshape(-1);
        Assert.Equal(flat, r.ToArray());
        // A reshape that only splits the last axis of a contiguous tensor is a view.
        if (shape.Length > 0)
        {
            var v = x.Reshape([.. shape[..^1], 1, shape[^1]]);
            Assert.Same(x.Storage, v.Storage);
        }
    }

    [Fact]
    public void View_of_a_transposed_matrix_that_would_need_a_copy_throws()
    {
        var x = Iota(3, 4).Mt;
        var ex = Assert.Throws<InvalidOperationException>(() => x.View(12));
        Assert.Contains("[4, 3]", ex.Message);
        Assert.Equal(x.ToArray(), x.Reshape(12).ToArray());
    }

    [Fact]
    public void View_merges_axes_that_are_contiguous_among_themselves()
    {
        // Slicing the first axis keeps the inner two contiguous with each other.
        var x = Iota(4, 3, 2).Slice(0, 0, 4, 2);
        var v = x.View(2, 6);
        Assert.Same(x.Storage, v.Storage);
        Assert.Equal(x.ToArray(), v.ToArray());
    }

    [Fact]
    public void Squeeze_and_unsqueeze_are_inverse_views()
    {
        var x = Iota(2, 1, 3);
        Assert.Equal(new[] { 2, 3 }, x.Squeeze().ShapeArray);
        Assert.Equal(new[] { 2, 3 }, x.Squeeze(1).ShapeArray);
        Assert.Throws<ArgumentException>(() => x.Squeeze(0));
        var u = x.Squeeze().Unsqueeze(-1);
        Assert.Equal(new[] { 2, 3, 1 }, u.ShapeArray);
        Assert.Equal(x.ToArray(), u.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Unsqueeze(5));
    }

    [Fact]
    public void Contiguous_returns_self_when_already_contiguous_and_a_copy_otherwise()
    {
        var x = Iota(2, 3);
        Assert.Same(x, x.Contiguous());
        var t = x.Mt.Contiguous();
        Assert.True(t.IsContiguous);
        Assert.NotSame(x.Storage, t.Storage);
        Assert.Equal(new double[] { 0, 3, 1, 4, 2, 5 }, t.ToArray());
    }

    [Fact]
    public void AsSpan_refuses_strided_views()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Iota(2, 3).Mt.AsSpan());
        Assert.Contains("Contiguous()", ex.Message);
    }

    [Fact]
    public void Index_errors_name_axis_and_shape()
    {
        var x = Iota(2, 3);
        var ex = Assert.Throws<IndexOutOfRangeException>(() => x[1, 3]);
        Assert.Contains("axis 1", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Equal(5.0, x[-1, -1]);
        Assert.Throws<ArgumentException>(() => x[1]);
    }
}
