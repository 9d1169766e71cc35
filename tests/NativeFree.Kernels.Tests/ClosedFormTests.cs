using NativeFree.Kernels.Spec;
using NativeFree.Tensors.Randomness;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Models;
using NativeFree.Kernels;
using NativeFree.Kernels.Internal;
using NativeFree.Kernels.Layers;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Kernels.Tests;

public class ClosedFormTests
{
    public static TheoryData<string> ActivationNames => new()
    {
        "relu", "abrelu", "leaky", "abs", "erf", "gelu", "sin", "cos", "rbf", "sign", "mono1", "mono2", "mono3", "rmono0", "rmono1", "rmono2", "identity",
    };

    internal static Activation Make(string name) => name switch
    {
        "relu" => new Relu(),
        "abrelu" => new ABRelu(-0.4, 1.3),
        "leaky" => new LeakyRelu(0.1),
        "abs" => new Abs(),
        "erf" => new Erf(1.2, 0.7, 0.3),
        "gelu" => new Gelu(),
        "sin" => new Sin(1.1, 0.8, 0.4),
        "cos" => Sin.Cos(0.9, 1.2, 0.1),
        "rbf" => new Rbf(0.6),
        "sign" => new Sign(),
        "mono1" => new Monomial(1),
        "mono2" => new Monomial(2),
        "mono3" => new Monomial(3),
        "rmono0" => new RectifiedMonomial(0),
        "rmono1" => new RectifiedMonomial(1),
        "rmono2" => new RectifiedMonomial(2),
        "identity" => new Identity(),
        _ => throw new ArgumentException(name),
    };

    private static SequentialSpec Net(Activation a) => Stax.Serial(Stax.Dense(16, 1.3, 0.2), Stax.Transform(a), Stax.Dense(4, 0.9, 0.1));

    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void QuadratureAgreesWithClosedForm(string name)
    {
        var act = Make(name);
        var x1 = TestUtil.RandomInputs(1, 5, 3);
        var x2 = TestUtil.RandomInputs(2, 4, 3);
        var closed = KernelFunction.Compute(Net(act), x1, x2);
        // Gauss–Hermite for smooth φ; φ with a kink or jump at 0 use the rule split at zero.
        bool kinked = name is "relu" or "abrelu" or "leaky" or "abs" or "sign" or "rmono0" or "rmono1" or "rmono2";
        var quad = KernelFunction.Compute(Net(kinked ? QuadratureActivation.Of(act, 24, QuadratureRule.SplitAtZero) : QuadratureActivation.Of(act, 64)), x1, x2);
        double e1 = TestUtil.RelFrobenius(closed.Nngp!.ToArray(), quad.Nngp!.ToArray());
        double e2 = TestUtil.RelFrobenius(closed.Ntk!.ToArray(), quad.Ntk!.ToArray());
        Assert.True(e1 < 2e-3, $"{name}: NNGP relative error {e1}");
        Assert.True(e2 < 4e-3, $"{name}: NTK relative error {e2}");
    }

    [Fact]
    public void ReluMatchesArcCosineFormula()
    {
        int d = 7;
        var x1 = TestUtil.RandomInputs(3, 4, d);
        var x2 = TestUtil.RandomInputs(4, 11, d); // 11 columns: the 8-wide vector path and the scalar tail
        double ws = 1.4, bs = 0.3;
        var net = Stax.Serial(Stax.Dense(8, ws, bs), Stax.Relu(), Stax.Dense(1, ws, bs));
        var r = KernelFunction.Compute(net, x1, x2);
        var a = x1.ToArray(); var b = x2.ToArray();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 11; j++)
            {
                double k12 = 0, k11 = 0, k22 = 0;
                for (int c = 0; c < d; c++) { k12 += a[i * d + c] * b[j * d + c]; k11 += a[i * d + c] * a[i * d + c]; k22 += b[j * d + c] * b[j * d + c]; }
                k12 = ws * ws * k12 / d + bs * bs; k11 = ws * ws * k11 / d + bs * bs; k22 = ws * ws * k22 / d + bs * bs;
                double theta = Math.Acos(k12 / Math.Sqrt(k11 * k22));
                double relu = Math.Sqrt(k11 * k22) / (2 * Math.PI) * (Math.Sin(theta) + (Math.PI - theta) * Math.Cos(theta));
                double nngp = ws * ws * relu + bs * bs;
                double ntk = nngp + ws * ws * k12 * (Math.PI - theta) / (2 * Math.PI);
                Assert.Equal(nngp, r.Nngp![i, j], 1e-12);
                Assert.Equal(ntk, r.Ntk![i, j], 1e-12);
            }
    }

    [Fact]
    public void AbreluZeroOneEqualsReluExactly()
    {
        var x = TestUtil.RandomInputs(5, 11, 6);
        var a = KernelFunction.Compute(Stax.Serial(Stax.Dense(3, 1.5, 0.1), Stax.Relu(), Stax.Dense(3, 1.5, 0.1), Stax.Relu(), Stax.Dense(1)), x);
        var b = KernelFunction.Compute(Stax.Serial(Stax.Dense(3, 1.5, 0.1), Stax.ABRelu(0, 1), Stax.Dense(3, 1.5, 0.1), Stax.ABRelu(0, 1), Stax.Dense(1)), x);
        Assert.Equal(a.Nngp!.ToArray(), b.Nngp!.ToArray());
        Assert.Equal(a.Ntk!.ToArray(), b.Ntk!.ToArray());
    }

    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void NoNaNAtZeroInputs(string name)
    {
        var x = TestUtil.RandomInputs(6, 4, 3);
        for (int c = 0; c < 3; c++) { x[0, c] = 0; x[2, c] = 0; }
        // No bias: zero inputs have exactly zero variance in every layer.
        var net = Stax.Serial(Stax.Dense(8, 1.2, null), Stax.Transform(Make(name)), Stax.Dense(8, 1.2, null), Stax.Transform(Make(name)), Stax.Dense(1, 1, null));
        var r = KernelFunction.Compute(net, x);
        Assert.All(r.Nngp!.ToArray(), v => Assert.True(double.IsFinite(v), $"{name}: NNGP {v}"));
        Assert.All(r.Ntk!.ToArray(), v => Assert.True(double.IsFinite(v), $"{name}: NTK {v}"));
    }

    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void KernelsAreSymmetricPositiveSemidefinite(string name)
    {
        var x = TestUtil.RandomInputs(7, 12, 4);
        var net = Stax.Serial(Stax.Dense(8, 1.1, 0.2), Stax.Transform(Make(name)), Stax.Dense(8, 1.1, 0.2), Stax.Transform(Make(name)), Stax.Dense(1, 1, 0.1));
        var r = KernelFunction.Compute(net, x, null, new KernelOptions { MaxTile = 5 });
        foreach (var k in new[] { r.Nngp!, r.Ntk! })
        {
            var a = k.ToArray();
            int n = 12;
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) Assert.Equal(a[i * n + j], a[j * n + i]);
            var vals = NativeFree.Tensors.LinearAlgebra.Linalg.Eigh(Tensor.FromArray(a, n, n)).Eigenvalues.ToArray();
            double scale = vals.Max(Math.Abs);
            Assert.True(vals[0] >= -1e-9 * Math.Max(scale, 1), $"{name}: min eigenvalue {vals[0]} (max {scale})");
        }
    }

    [Fact]
    public void VectorAcosMatchesMathAcos()
    {
        var c = Enumerable.Range(0, 4001).Select(i => -1 + i / 2000.0).Append(0.49999999).Append(0.5000001).ToArray();
        foreach (var v in c) Assert.Equal(Math.Acos(v), VectorMath.Acos(v), 1e-14);
        var k11 = Enumerable.Repeat(1.0, c.Length).ToArray();
        var k12 = (double[])c.Clone();
        var ntk = Enumerable.Repeat(1.0, c.Length).ToArray();
        new Relu().Dual(k11, k11, k12, ntk); // vector path for most, scalar tail
        for (int i = 0; i < c.Length; i++)
        {
            double th = Math.Acos(c[i]);
            Assert.Equal((Math.Sin(th) + (Math.PI - th) * c[i]) / (2 * Math.PI), k12[i], 1e-14);
            Assert.Equal((Math.PI - th) / (2 * Math.PI), ntk[i], 1e-14);
        }
    }

    [Fact]
    public void StandardParametrizationNtkAddsFanInTimesNngp()
    {
        var x = TestUtil.RandomInputs(8, 3, 5);
        var std = KernelFunction.Compute(Stax.Serial(Stax.Dense(10, 1.3, 0.2, Parametrization.Standard), Stax.Relu(), Stax.Dense(1, 1.3, 0.2, Parametrization.Standard)), x);
        var ntkp = KernelFunction.Compute(Stax.Serial(Stax.Dense(10, 1.3, 0.2), Stax.Relu(), Stax.Dense(1, 1.3, 0.2)), x);
        // NNGPs agree; the standard NTK weights each layer's contribution by its fan-in.
        Assert.Equal(ntkp.Nngp!.ToArray(), std.Nngp!.ToArray());
        var k0 = KernelFunction.Compute(Stax.Serial(Stax.Dense(10, 1.3, 0.2), Stax.Relu(), Stax.Dense(1, 1.0, 0.0)), x).Nngp!; // relu(Σ1) as the last layer's input covariance
        var first = KernelFunction.Compute(Stax.Serial(Stax.Dense(10, 1.3, 0.2), Stax.Relu(), Stax.Dense(1, 1.0, 0.0)), x).Ntk!;
        var input = KernelFunction.Compute(Stax.Dense(1, 1, 0), x).Nngp!; // x·xᵀ/d
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                // Layer-1 NTK (standard) = d·(x·x/d) + 1; after relu scaled by the same derivative factor as in 'ntk' with w=1,b=0 (first − k0 = Σ̇·Σ1 in that run).
                double sigma1 = 1.3 * 1.3 * input[i, j] + 0.04;
                double dotFactor = (first[i, j] - k0[i, j]) / sigma1;
                double expected = 1.3 * 1.3 * ((5 * input[i, j] + 1) * dotFactor) + 10 * k0[i, j] + 1;
                Assert.Equal(expected, std.Ntk![i, j], 1e-9);
            }
    }
}
