using FsCheck.Xunit;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Tensors.Tests;

/// <summary>Broadcasting laws and the engine's row-broadcast and strided paths, against NaiveEngine.</summary>
public class BroadcastTests
{
    [Property(MaxTest = 80)]
    public void Add_commutes_under_broadcasting(int seed)
    {
        var rng = new Random(seed);
        var shape = TestData.RandomShape(rng);
        var a = TestData.RandomTensor<float>(rng, shape);
        var b = TestData.RandomTensor<float>(rng, TestData.BroadcastableTo(rng, shape));
        var ab = a + b;
        var ba = b + a;
        Assert.Equal(ab.ShapeArray, ba.ShapeArray);
        Assert.Equal(ab.ToArray(), ba.ToArray());
        Assert.Equal(NaiveEngine.Map(a, b, (x, y) => x + y).ToArray(), ab.ToArray());
        Assert.Equal((a * b).ToArray(), (b * a).ToArray());
    }

    [Property(MaxTest = 60)]
    public void Adding_zero_and_multiplying_by_one_is_the_identity(int seed)
    {
        var rng = new Random(seed);
        var shape = TestData.RandomShape(rng);
        var a = TestData.RandomTensor<double>(rng, shape);
        var zeros = Tensor.Zeros<double>(TestData.BroadcastableTo(rng, shape));
        var ones = Tensor.Ones<double>(TestData.BroadcastableTo(rng, shape));
        Assert.Equal(TestData.Elements(a), (a + zeros).ToArray());
        Assert.Equal(TestData.Elements(a), (a * ones).ToArray());
        Assert.Equal(TestData.Elements(a), (a + 0.0).ToArray());
        Assert.Equal(TestData.Elements(a), Tensor.Sub(a, zeros).ToArray());
    }

    [Property(MaxTest = 60)]
    public void Both_operands_broadcast_at_once(int seed)
    {
        // [n,1,k] ⊕ [m,1]: each operand contributes axes the other lacks.
        var rng = new Random(seed);
        int n = rng.Next(1, 5), m = rng.Next(1, 20), k = rng.Next(1, 20);
        var a = TestData.RandomTensor<float>(rng, [n, 1, k]);
        var b = TestData.RandomTensor<float>(rng, [m, 1]);
        foreach (var name in ElementwiseTests.BinaryNames)
        {
            var expected = NaiveEngine.Map(a, b, (x, y) => ElementwiseTests.RefBinary(name, x, y));
            var got = ElementwiseTests.OursBinary(name, a, b);
            Assert.Equal(new[] { n, m, k }, got.ShapeArray);
            Assert.Equal(expected.ToArray(), got.ToArray());
        }
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(3, 7)]
    [InlineData(5, 16)]
    [InlineData(2, 17)]
    [InlineData(3, 65)]
    public void Row_broadcasts_over_the_last_axis(int rows, int cols)
    {
        var rng = new Random(rows * 100 + cols);
        var x = Tensor.FromArray(TestData.RandomValues<float>(rng, rows * cols), rows, cols);
        var bias = Tensor.FromArray(TestData.RandomValues<float>(rng, cols), cols);
        var scale = Tensor.FromArray(TestData.RandomValues<float>(rng, rows), rows, 1);
        Assert.Equal(NaiveEngine.Map(x, bias, (a, b) => a + b).ToArray(), (x + bias).ToArray());
        Assert.Equal(NaiveEngine.Map(x, scale, (a, b) => a * b).ToArray(), (x * scale).ToArray());
        Assert.Equal(NaiveEngine.Map(scale, x, (a, b) => a - b).ToArray(), (scale - x).ToArray());
        // Outer sum [rows,1] + [cols].
        Assert.Equal(NaiveEngine.Map(scale, bias, (a, b) => a + b).ToArray(), (scale + bias).ToArray());
        // Non-contiguous: the transpose of a [cols, rows] matrix plus a bias.
        var xt = Tensor.FromArray(TestData.RandomValues<float>(rng, rows * cols), cols, rows).Mt;
        Assert.Equal(NaiveEngine.Map(xt, bias, (a, b) => a + b).ToArray(), (xt + bias).ToArray());
        // Destination variant into a strided view.
        var big = Tensor.Zeros<float>(rows, 2 * cols);
        var dst = big.Slice(1, 0, 2 * cols, 2);
        Tensor.Add(x, bias, dst);
        Assert.Equal((x + bias).ToArray(), dst.ToArray());
        Assert.All(big.Slice(1, 1, 2 * cols, 2).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Incompatible_shapes_name_both_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Add(Tensor.Zeros<float>(2, 3), Tensor.Zeros<float>(4)));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
        var w = Assert.Throws<ArgumentException>(() => Tensor.Where(Tensor.Zeros<float>(2), Tensor.Zeros<float>(3), Tensor.Zeros<float>(2)));
        Assert.Contains("[2]", w.Message);
        Assert.Contains("[3]", w.Message);
    }

    [Fact]
    public void Scalars_rank_zero_and_empty_tensors()
    {
        var s = Tensor.Scalar(2.0);
        var v = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 }, 3);
        Assert.Equal(new[] { 3.0, 4.0, 5.0 }, (s + v).ToArray());
        Assert.Equal(Array.Empty<int>(), (s * s).ShapeArray);
        Assert.Equal(4.0, (s * s).ToScalar());
        var empty = Tensor.Zeros<double>(0, 3);
        Assert.Equal(new[] { 0, 3 }, (empty + v).ShapeArray);
        Assert.Equal(new[] { 0, 3 }, Tensor.Exp(empty).ShapeArray);
    }

    [Fact]
    public void In_place_binary_update_through_a_view_writes_through()
    {
        var m = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 3, 4);
        var col = m.Slice(1, 1, 2); // column 1, shape [3,1]
        Tensor.Mul(col, 10f, col);
        Assert.Equal(new[] { 0f, 10f, 2f, 3f, 4f, 50f, 6f, 7f, 8f, 90f, 10f, 11f }, m.ToArray());
        // a += a.T for a square matrix: input and destination overlap without being the same view.
        var sq = Tensor.FromArray(Enumerable.Range(0, 9).Select(i => (double)i).ToArray(), 3, 3);
        var expected = NaiveEngine.Map(sq, sq.Mt, (x, y) => x + y).ToArray();
        Tensor.Add(sq, sq.Mt, sq);
        Assert.Equal(expected, sq.ToArray());
    }
}
