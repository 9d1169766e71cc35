using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Tensors.Tests;

public class CreationAndShapeTests
{
    [Fact]
    public void Factories_fill_as_documented()
    {
        Assert.Equal(new float[] { 0, 0, 0, 0 }, Tensor.Zeros<float>(2, 2).ToArray());
        Assert.Equal(new double[] { 1, 1, 1 }, Tensor.Ones<double>(3).ToArray());
        Assert.Equal(new double[] { 2.5, 2.5 }, Tensor.Full(2.5, 2).ToArray());
        Assert.Equal(new double[] { 1, 0, 0, 0, 1, 0 }, Tensor.Eye<double>(2, 3).ToArray());
        Assert.Equal(new double[] { 0, 0.5, 1, 1.5 }, Tensor.Arange(0.0, 2.0, 0.5).ToArray());
        Assert.Equal(new double[] { 3, 2, 1 }, Tensor.Arange(3.0, 0.0, -1.0).ToArray());
        var ls = Tensor.Linspace(-1f, 1f, 5).ToArray();
        Assert.Equal(new float[] { -1, -0.5f, 0, 0.5f, 1 }, ls);
        Assert.Equal(7.0, Tensor.Scalar(7.0).ToScalar());
        Assert.Equal(0, Tensor.Scalar(7.0).Rank);
    }

    [Fact]
    public void FromArray_shares_and_FromSpan_copies()
    {
        var data = new double[] { 1, 2, 3, 4, 5, 6 };
        var shared = Tensor.FromArray(data, 2, 3);
        var copied = Tensor.FromSpan<double>(data, 3, 2);
        data[0] = 10;
        Assert.Equal(10.0, shared[0, 0]);
        Assert.Equal(1.0, copied[0, 0]);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray(data, 4, 2));
        Assert.Contains("[4, 2]", ex.Message);
    }

    [Fact]
    public void Negative_and_overflowing_sizes_are_rejected_with_the_shape()
    {
        var neg = Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(2, -1));
        Assert.Contains("negative", neg.Message);
        var big = Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(65536, 65536));
        Assert.Contains("int.MaxValue", big.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(2, 3).Reshape(4, 2));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(2, 3).Reshape(-1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros<float>(2, 3).Transpose(0, 2));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros<float>(2, 3).Permute(0, 0));
    }

    [Fact]
    public void Broadcast_follows_numpy_and_names_both_shapes_on_failure()
    {
        Assert.Equal(new[] { 4, 2, 3 }, ShapeUtil.Broadcast([4, 1, 3], [2, 1]));
        Assert.Equal(new[] { 5 }, ShapeUtil.Broadcast([5], []));
        var ex = Assert.Throws<ArgumentException>(() => ShapeUtil.Broadcast([2, 3], [4, 3]));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 3]", ex.Message);
    }

    [Fact]
    public void Cast_between_float_and_double_round_trips_representable_values()
    {
        var d = Tensor.FromArray(new double[] { 0.5, -1.25, 1e40, 3.0000001 }, 4);
        var f = d.Cast<float>();
        Assert.Equal(new float[] { 0.5f, -1.25f, float.PositiveInfinity, 3.0000001f }, f.ToArray());
        Assert.Equal(new double[] { 0.5, -1.25 }, f.Cast<double>().ToArray().Take(2));
        // A strided view casts its logical elements, not its storage order.
        var m = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 2, 2).Mt;
        Assert.Equal(new float[] { 1, 3, 2, 4 }, m.Cast<float>().ToArray());
    }

    [Fact]
    public void ToString_shows_values_shape_and_dtype()
    {
        var s = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2).ToString();
        Assert.Equal("[[1, 2],\n [3, 4]], shape=[2, 2], dtype=float32", s);
        var big = Tensor.Zeros<double>(2000).ToString();
        Assert.Contains("...", big);
        Assert.True(big.Length < 200);
    }
}

public class EmptyTensorTests
{
    [Fact]
    public void Tensors_with_a_zero_sized_axis_are_contiguous_and_empty()
    {
        var x = Tensor.Zeros<double>(3, 0, 3);
        Assert.True(x.IsContiguous);
        Assert.Equal(0, x.AsSpan().Length);
        Assert.Empty(x.Slice(0, 1, 1).ToArray());
        Assert.Equal(new[] { 0, 3 }, x.Reshape(0, 3).ShapeArray);
    }
}
