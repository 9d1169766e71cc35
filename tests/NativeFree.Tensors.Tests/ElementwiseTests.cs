using System.Numerics;
using FsCheck.Xunit;
using NativeFree.Tensors;
using NativeFree.Tensors.Simd;
using Xunit;

namespace NativeFree.Tensors.Tests;

/// <summary>
/// Every elementwise op against independent scalar math (System.Math, ScalarMath in double) over random
/// shapes and views, tail lengths around every vector width, edge values and accuracy sweeps.
/// Accuracy bounds (documented here, asserted below): float results within 4 ulp of the double-precision
/// reference rounded to float (sin/cos: 4 ulp or 1e-7 absolute); double results within 45 ulp (≈ 1e-14 relative)
/// of the reference, except gelu (1e-14 relative, plus 1e-321 absolute for denormal results) and sin/cos (1e-15 absolute
/// near their zeros).
/// </summary>
public class ElementwiseTests
{
    public static readonly string[] UnaryNames =
        ["Neg", "Abs", "Sign", "Exp", "Log", "Log1p", "Expm1", "Sqrt", "Rsqrt", "Square", "Relu", "Gelu", "Tanh", "Sigmoid", "Softplus", "Sin", "Cos", "Erf"];

    public static IEnumerable<object[]> UnaryOps => UnaryNames.Select(n => new object[] { n });

    internal static Tensor<T> Ours<T>(string name, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => name switch
    {
        "Neg" => Tensor.Neg(x), "Abs" => Tensor.Abs(x), "Sign" => Tensor.Sign(x), "Exp" => Tensor.Exp(x), "Log" => Tensor.Log(x),
        "Log1p" => Tensor.Log1p(x), "Expm1" => Tensor.Expm1(x), "Sqrt" => Tensor.Sqrt(x), "Rsqrt" => Tensor.Rsqrt(x),
        "Square" => Tensor.Square(x), "Relu" => Tensor.Relu(x), "Gelu" => Tensor.Gelu(x), "Tanh" => Tensor.Tanh(x),
        "Sigmoid" => Tensor.Sigmoid(x), "Softplus" => Tensor.Softplus(x), "Sin" => Tensor.Sin(x), "Cos" => Tensor.Cos(x),
        "Erf" => Tensor.Erf(x), _ => throw new ArgumentException(name),
    };

    internal static Tensor<T> OursInto<T>(string name, Tensor<T> x, Tensor<T> d) where T : unmanaged, IFloatingPointIeee754<T> => name switch
    {
        "Neg" => Tensor.Neg(x, d), "Abs" => Tensor.Abs(x, d), "Sign" => Tensor.Sign(x, d), "Exp" => Tensor.Exp(x, d), "Log" => Tensor.Log(x, d),
        "Log1p" => Tensor.Log1p(x, d), "Expm1" => Tensor.Expm1(x, d), "Sqrt" => Tensor.Sqrt(x, d), "Rsqrt" => Tensor.Rsqrt(x, d),
        "Square" => Tensor.Square(x, d), "Relu" => Tensor.Relu(x, d), "Gelu" => Tensor.Gelu(x, d), "Tanh" => Tensor.Tanh(x, d),
        "Sigmoid" => Tensor.Sigmoid(x, d), "Softplus" => Tensor.Softplus(x, d), "Sin" => Tensor.Sin(x, d), "Cos" => Tensor.Cos(x, d),
        "Erf" => Tensor.Erf(x, d), _ => throw new ArgumentException(name),
    };

    /// <summary>The oracle, in double, from System.Math and ScalarMath (never from the SIMD code).</summary>
    internal static double Reference(string name, double x) => name switch
    {
        "Neg" => -x, "Abs" => Math.Abs(x), "Sign" => double.IsNaN(x) ? x : x > 0 ? 1 : x < 0 ? -1 : 0,
        "Exp" => Math.Exp(x), "Log" => Math.Log(x), "Log1p" => ScalarMath.Log1p(x), "Expm1" => ScalarMath.Expm1(x),
        "Sqrt" => Math.Sqrt(x), "Rsqrt" => 1 / Math.Sqrt(x), "Square" => x * x, "Relu" => x > 0 ? x : 0,
        // Φ(x) = erfc(−x/√2)/2: no 1 + erf cancellation for negative x.
        "Gelu" => double.IsNaN(x) ? x : OracleErfc(-x / Math.Sqrt(2), 0.5 * x, 0.5 * (x * x), 0.5 * Math.FusedMultiplyAdd(x, x, -(x * x))),
        "Tanh" => Math.Tanh(x), "Sigmoid" => ScalarMath.Sigmoid(x), "Softplus" => ScalarMath.Softplus(x),
        "Sin" => Math.Sin(x), "Cos" => Math.Cos(x), "Erf" => OracleErf(x), _ => throw new ArgumentException(name),
    };

    /// <summary>erf: Maclaurin (ScalarMath) below 1, 1 − erfc above, where erfc is small and the subtraction exact-ish.</summary>
    internal static double OracleErf(double x)
        => double.IsNaN(x) || Math.Abs(x) < 1 ? ScalarMath.Erf(x) : Math.CopySign(1 - OracleErfc(Math.Abs(x)), x);

    /// <summary>
    /// erfc by its continued fraction erfc z = e^(−z²)/√π · 1/(z + ½/(z + 1/(z + 3⁄2/(z + …)))) (modified Lentz,
    /// run to convergence) for z ≥ 1, and 1 − erf z below, where erfc ≥ 0.157 so the subtraction loses little.
    /// </summary>
    /// <remarks>Returns scale·erfc z, scaling before the final e^(−z²) so a tiny result rounds only once.
    /// z² may be passed exactly as hi + lo (GELU knows it from x: z² = x²/2 without the rounding of x/√2).</remarks>
    internal static double OracleErfc(double z, double scale = 1, double z2hi = double.NaN, double z2lo = 0)
    {
        if (double.IsNaN(z)) return z;
        if (z < 1) return scale * (1 - ScalarMath.Erf(z));
        if (z > 27.3) return scale * 0;
        double f = z, c = z, d = 0;
        for (int n = 1; n < 100000; n++)
        {
            double an = n * 0.5;
            d = z + an * d;
            c = z + an / c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-17) break;
        }
        // e^(−z²) with z² split exactly (hi + lo) so that the tail keeps its relative accuracy.
        double hi = z * z, lo = Math.FusedMultiplyAdd(z, z, -hi);
        if (!double.IsNaN(z2hi)) { hi = z2hi; lo = z2lo; }
        return scale * (1 - lo) / (f * Math.Sqrt(Math.PI)) * Math.Exp(-hi);
    }

    internal static bool Close<T>(string name, T x, T ours, T reference) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool isFloat = typeof(T) == typeof(float);
        long ulps = TestData.Ulps(ours, reference);
        if (ulps <= (isFloat ? 4 : 45)) return true;
        double o = double.CreateTruncating(ours), r = double.CreateTruncating(reference);
        if (name is "Sin" or "Cos") return Math.Abs(o - r) <= (isFloat ? 1e-7 : 1e-15);
        if (name == "Gelu" && !isFloat) return Math.Abs(o - r) <= 1e-14 * Math.Abs(r) + 1e-321; // denormal results keep fewer bits
        return false;
    }

    private static T Ref<T>(string name, T x) where T : unmanaged, IFloatingPointIeee754<T>
        => T.CreateTruncating(Reference(name, double.CreateTruncating(x)));

    private static void CheckAgainstReference<T>(string name, Tensor<T> x, Tensor<T> result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(x.ShapeArray, result.ShapeArray);
        var xs = TestData.Elements(x);
        var rs = TestData.Elements(result);
        for (int i = 0; i < xs.Length; i++)
        {
            T expected = Ref(name, xs[i]);
            Assert.True(Close(name, xs[i], rs[i], expected),
                $"{name}<{typeof(T).Name}>({xs[i]:R}) = {rs[i]:R}, expected {expected:R} ({TestData.Ulps(rs[i], expected)} ulp) at element {i} of shape {ShapeUtil.Format(x.Shape)}");
        }
    }

    // ---------------------------------------------------------------------------- properties

    [Property(MaxTest = 60)]
    public void Unary_ops_match_scalar_math_on_random_shapes_and_views(int seed)
    {
        var rng = new Random(seed);
        var shape = TestData.RandomShape(rng);
        foreach (var name in UnaryNames)
        {
            double scale = name is "Exp" or "Expm1" or "Sigmoid" ? 20 : 3;
            var xf = TestData.RandomTensor<float>(rng, shape, scale);
            CheckAgainstReference(name, xf, Ours(name, xf));
            var xd = TestData.RandomTensor<double>(rng, shape, scale);
            CheckAgainstReference(name, xd, Ours(name, xd));
            // The destination form into a non-contiguous destination view gives the same numbers.
            var dd = TestData.RandomTensor<double>(rng, shape);
            OursInto(name, xd, dd);
            CheckAgainstReference(name, xd, dd);
        }
    }

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void Unary_ops_hit_every_tail_length(string name)
    {
        var rng = new Random(name.GetHashCode() & 0xffff);
        foreach (int n in new[] { 0, 1, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 129 })
        {
            var xf = Tensor.FromArray(TestData.RandomValues<float>(rng, n), n);
            CheckAgainstReference(name, xf, Ours(name, xf));
            var xd = Tensor.FromArray(TestData.RandomValues<double>(rng, n), n);
            CheckAgainstReference(name, xd, Ours(name, xd));
            // In place: the destination is the input itself.
            var copy = xd.Clone();
            OursInto(name, copy, copy);
            Assert.Equal(Ours(name, xd).ToArray(), copy.ToArray());
        }
    }

    public static IEnumerable<object[]> Sweeps =>
    [
        ["Exp", -104.0, 90.0], ["Exp", -745.0, 709.0], ["Log", 1e-6, 1e6], ["Log1p", -0.999, 50.0], ["Expm1", -60.0, 60.0],
        ["Tanh", -20.0, 20.0], ["Sigmoid", -110.0, 110.0], ["Softplus", -110.0, 110.0], ["Sin", -100.0, 100.0], ["Cos", -100.0, 100.0],
        ["Erf", -7.0, 7.0], ["Gelu", -16.0, 16.0], ["Gelu", -40.0, 5.0], ["Sqrt", 0.0, 1e4], ["Rsqrt", 1e-6, 1e4],
    ];

    /// <summary>Accuracy over a dense sweep plus tiny magnitudes, both element types.</summary>
    [Theory]
    [MemberData(nameof(Sweeps))]
    public void Accuracy_sweep(string name, double lo, double hi)
    {
        var values = new List<double>();
        for (int i = 0; i <= 20000; i++) values.Add(lo + (hi - lo) * i / 20000);
        for (double t = 1e-30; t < 1; t *= 3.7) { values.Add(t); values.Add(-t); }
        values.RemoveAll(v => v < lo || v > hi);
        var xf = Tensor.FromArray(values.Select(v => (float)v).ToArray(), values.Count);
        CheckAgainstReference(name, xf, Ours(name, xf));
        var xd = Tensor.FromArray(values.ToArray(), values.Count);
        CheckAgainstReference(name, xd, Ours(name, xd));
    }

    /// <summary>NaN, ±∞, ±0, denormals and huge magnitudes behave like the scalar functions.</summary>
    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void Edge_values(string name)
    {
        double[] edge = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, 1e-310, -1e-310, 1e-40, -1e-40,
            1e300, -1e300, 88.8, -88.8, 709.9, -745.2, 1, -1];
        // Repeat so that both the vector body and the scalar/overlapped tail see every value.
        var d = Enumerable.Repeat(edge, 5).SelectMany(v => v).ToArray();
        var xd = Tensor.FromArray(d, d.Length);
        if (name is "Sin" or "Cos") xd = Tensor.FromArray(d.Select(v => Math.Abs(v) > 1e5 && double.IsFinite(v) ? 1.0 : v).ToArray(), d.Length);
        CheckAgainstReference(name, xd, Ours(name, xd));
        var xf = Tensor.FromArray(xd.ToArray().Select(v => (float)v).ToArray(), d.Length);
        CheckAgainstReference(name, xf, Ours(name, xf));
    }

    [Fact]
    public void Tanh_keeps_denormals_and_accuracy_where_TensorPrimitives_Tanh_does_not()
    {
        // Why tanh runs our own expm1-based formula rather than TensorPrimitives.Tanh (measured on .NET 10):
        // TensorPrimitives returns −0 for tanh(1e-310) and is up to 6 ulp off in float near |x| ≈ 0.1–0.5.
        var d = Tensor.Tanh(Tensor.FromArray(Enumerable.Repeat(1e-310, 20).ToArray(), 20)).ToArray();
        Assert.All(d, v => Assert.Equal(1e-310, v));
        var xs = Enumerable.Range(0, 2001).Select(i => (float)(-1 + i * 0.001)).ToArray();
        var f = Tensor.Tanh(Tensor.FromArray(xs, xs.Length)).ToArray();
        for (int i = 0; i < xs.Length; i++)
            Assert.True(TestData.Ulps(f[i], (float)Math.Tanh(xs[i])) <= 1, $"tanh({xs[i]}) = {f[i]} vs {(float)Math.Tanh(xs[i])}");
    }

    // ------------------------------------------------------------------------- binary & friends

    public static readonly string[] BinaryNames =
        ["Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum", "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual"];

    internal static Tensor<T> OursBinary<T>(string name, Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => name switch
    {
        "Add" => Tensor.Add(a, b), "Sub" => Tensor.Sub(a, b), "Mul" => Tensor.Mul(a, b), "Div" => Tensor.Div(a, b), "Pow" => Tensor.Pow(a, b),
        "Maximum" => Tensor.Maximum(a, b), "Minimum" => Tensor.Minimum(a, b), "Equal" => Tensor.Equal(a, b), "NotEqual" => Tensor.NotEqual(a, b),
        "Less" => Tensor.Less(a, b), "LessEqual" => Tensor.LessEqual(a, b), "Greater" => Tensor.Greater(a, b), "GreaterEqual" => Tensor.GreaterEqual(a, b),
        _ => throw new ArgumentException(name),
    };

    internal static T RefBinary<T>(string name, T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => name switch
    {
        "Add" => x + y, "Sub" => x - y, "Mul" => x * y, "Div" => x / y, "Pow" => T.Pow(x, y),
        "Maximum" => T.Max(x, y), "Minimum" => T.Min(x, y),
        "Equal" => x == y ? T.One : T.Zero, "NotEqual" => x != y ? T.One : T.Zero, "Less" => x < y ? T.One : T.Zero,
        "LessEqual" => x <= y ? T.One : T.Zero, "Greater" => x > y ? T.One : T.Zero, "GreaterEqual" => x >= y ? T.One : T.Zero,
        _ => throw new ArgumentException(name),
    };

    [Property(MaxTest = 60)]
    public void Binary_ops_match_naive_broadcasting_exactly(int seed)
    {
        var rng = new Random(seed);
        var shape = TestData.RandomShape(rng);
        var bshape = TestData.BroadcastableTo(rng, shape);
        bool swap = rng.Next(2) == 0;
        foreach (var name in BinaryNames)
        {
            var a = TestData.RandomTensor<float>(rng, swap ? bshape : shape);
            var b = TestData.RandomTensor<float>(rng, swap ? shape : bshape);
            var expected = NaiveEngine.Map(a, b, (x, y) => RefBinary(name, x, y));
            var got = OursBinary(name, a, b);
            Assert.Equal(expected.ShapeArray, got.ShapeArray);
            // Same IEEE operations elementwise: bit-for-bit equal (NaN compared as NaN).
            Assert.Equal(expected.ToArray(), got.ToArray());
        }
    }

    [Fact]
    public void Binary_ops_hit_every_tail_length_with_scalar_operands()
    {
        var rng = new Random(5);
        foreach (int n in new[] { 1, 7, 8, 15, 16, 17, 31, 33, 63, 65 })
        {
            var a = Tensor.FromArray(TestData.RandomValues<double>(rng, n), n);
            var b = Tensor.FromArray(TestData.RandomValues<double>(rng, n), n);
            var s = Tensor.FromArray(TestData.RandomValues<double>(rng, 1), 1);
            foreach (var name in BinaryNames)
            {
                Assert.Equal(NaiveEngine.Map(a, b, (x, y) => RefBinary(name, x, y)).ToArray(), OursBinary(name, a, b).ToArray());
                Assert.Equal(NaiveEngine.Map(a, s, (x, y) => RefBinary(name, x, y)).ToArray(), OursBinary(name, a, s).ToArray());
                Assert.Equal(NaiveEngine.Map(s, b, (x, y) => RefBinary(name, x, y)).ToArray(), OursBinary(name, s, b).ToArray());
            }
            double k = s.ToScalar();
            Assert.Equal(a.ToArray().Select(v => v + k), Tensor.Add(a, k).ToArray());
            Assert.Equal(a.ToArray().Select(v => v - k), Tensor.Sub(a, k).ToArray());
            Assert.Equal(a.ToArray().Select(v => v * k), Tensor.Mul(a, k).ToArray());
            Assert.Equal(a.ToArray().Select(v => v / k), Tensor.Div(a, k).ToArray());
            Assert.Equal(a.ToArray().Select(v => Math.Pow(v, k)), Tensor.Pow(a, k).ToArray());
            Assert.Equal(a.ToArray().Select(v => v / k), (a / k).ToArray());
        }
    }

    [Fact]
    public void Maximum_minimum_and_comparisons_follow_ieee_on_nan_and_signed_zero()
    {
        var a = Tensor.FromArray(Enumerable.Repeat(new[] { double.NaN, 1.0, 0.0, -0.0, double.NegativeInfinity }, 4).SelectMany(v => v).ToArray(), 20);
        var b = Tensor.FromArray(Enumerable.Repeat(new[] { 1.0, double.NaN, -0.0, 0.0, 3.0 }, 4).SelectMany(v => v).ToArray(), 20);
        foreach (var name in BinaryNames)
        {
            var expected = NaiveEngine.Map(a, b, (x, y) => RefBinary(name, x, y)).ToArray();
            var got = OursBinary(name, a, b).ToArray();
            for (int i = 0; i < 20; i++)
                Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(got[i]) || (double.IsNaN(expected[i]) && double.IsNaN(got[i])),
                    $"{name}({a.ToArray()[i]}, {b.ToArray()[i]}) = {got[i]}, expected {expected[i]}");
        }
    }

    [Property(MaxTest = 40)]
    public void Where_and_clamp_match_naive(int seed)
    {
        var rng = new Random(seed);
        var shape = TestData.RandomShape(rng);
        var cond = Tensor.Greater(TestData.RandomTensor<double>(rng, TestData.BroadcastableTo(rng, shape)), Tensor.Scalar(0.0));
        var a = TestData.RandomTensor<double>(rng, shape);
        var b = TestData.RandomTensor<double>(rng, TestData.BroadcastableTo(rng, shape));
        var expected = NaiveEngine.Map(cond, a, b, (c, x, y) => c != 0 ? x : y);
        var got = Tensor.Where(cond, a, b);
        Assert.Equal(expected.ShapeArray, got.ShapeArray);
        Assert.Equal(expected.ToArray(), got.ToArray());
        Assert.Equal(TestData.Elements(a).Select(v => Math.Min(Math.Max(v, -0.5), 1.5)), Tensor.Clamp(a, -0.5, 1.5).ToArray());
        Assert.Throws<ArgumentException>(() => Tensor.Clamp(a, 2.0, 1.0));
    }

    [Property(MaxTest = 40)]
    public void AddScaledInPlace_is_axpy(int seed)
    {
        var rng = new Random(seed);
        var shape = TestData.RandomShape(rng);
        var dst = TestData.RandomTensor<float>(rng, shape);
        var src = TestData.RandomTensor<float>(rng, rng.Next(2) == 0 ? shape : TestData.BroadcastableTo(rng, shape));
        float alpha = (float)(rng.NextDouble() * 4 - 2);
        var expected = NaiveEngine.Map(dst, src, (d, s) => alpha * s + d).ToArray();
        var before = dst.Storage.ToArray();
        Tensor.AddScaledInPlace(dst, alpha, src);
        Assert.Equal(expected, TestData.Elements(dst));
        // Only the view's elements changed in the shared storage.
        int changedOutside = 0;
        var inView = new HashSet<int>();
        var idx = new int[dst.Rank];
        for (int k = 0; k < dst.Length; k++)
        {
            inView.Add(dst.OffsetOf(idx));
            for (int ax = dst.Rank - 1; ax >= 0; ax--) { if (++idx[ax] < dst.Shape[ax]) break; idx[ax] = 0; }
        }
        for (int i = 0; i < before.Length; i++) if (!inView.Contains(i) && BitConverter.SingleToInt32Bits(before[i]) != BitConverter.SingleToInt32Bits(dst.Storage[i])) changedOutside++;
        Assert.Equal(0, changedOutside);
    }

    [Fact]
    public void AddScaledInPlace_rejects_a_source_that_does_not_broadcast()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.AddScaledInPlace(Tensor.Zeros<float>(2, 3), 1f, Tensor.Zeros<float>(3, 2)));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[3, 2]", e.Message);
    }

    [Fact]
    public void Destination_with_the_wrong_shape_names_both_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Exp(Tensor.Zeros<float>(2, 3), Tensor.Zeros<float>(3, 2)));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[3, 2]", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => Tensor.Add(Tensor.Zeros<float>(4, 3), Tensor.Zeros<float>(3), Tensor.Zeros<float>(4, 4)));
        Assert.Contains("[4, 3]", e2.Message);
        Assert.Contains("[4, 4]", e2.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Exp(Tensor.Zeros<float>(3), Tensor.Zeros<float>(1).Expand(3)));
    }

    [Fact]
    public void Destination_overloads_on_contiguous_tensors_allocate_nothing()
    {
        var a = Tensor.Ones<float>(64, 33);
        var b = Tensor.Ones<float>(33);
        var d = Tensor.Zeros<float>(64, 33);
        for (int warm = 0; warm < 3; warm++)
        {
            Tensor.Add(a, a, d); Tensor.Exp(a, d); Tensor.Mul(a, 2f, d); Tensor.AddScaledInPlace(d, 0.5f, a); Tensor.Gelu(a, d);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        Tensor.Add(a, a, d); Tensor.Exp(a, d); Tensor.Mul(a, 2f, d); Tensor.AddScaledInPlace(d, 0.5f, a); Tensor.Gelu(a, d);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Tensor.Add(a, b, d); // row broadcast: warm up
        before = GC.GetAllocatedBytesForCurrentThread();
        Tensor.Add(a, b, d);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 512, "row-broadcast add should allocate at most a few small arrays");
    }

    [Fact]
    public void Partially_overlapping_destination_reads_the_input_before_writing()
    {
        // d is x shifted by one element in the same storage: a naive in-place loop would smear values.
        var storage = Enumerable.Range(0, 40).Select(i => (double)i).ToArray();
        var all = Tensor.FromArray(storage, 40);
        var x = all.Slice(0, 0, 39);
        var d = all.Slice(0, 1, 40);
        var expected = x.ToArray().Select(v => v * v).ToArray();
        Tensor.Square(x, d);
        Assert.Equal(expected, d.ToArray());
    }
}
