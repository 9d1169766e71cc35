using NativeFree.Autograd;
using NativeFree.Models.Layers;
using NativeFree.Models.Optim;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;
using Xunit;
using Xunit.Abstractions;

namespace NativeFree.Models.Tests;

/// <summary>
/// μP's coordinate check (Tensor Programs V, Fig. 5 and the mup package's <c>get_coord_data</c>): train a
/// ReLU MLP a few SGD steps at several widths with one base learning rate and look at how much each
/// layer's pre-activation moved, RMS over the coordinates of (h_t − h_0) on the training batch.
/// Under μP every layer moves Θ(1) in width; under the standard parametrization (same η for every layer,
/// variance 1/fan_in) the last hidden layer moves ∝ √width or faster and the output ∝ width (derivation below).
/// </summary>
public class MuPTests(ITestOutputHelper output)
{
    private const int InputDim = 16, Batch = 32, Steps = 4;
    private const double Lr = 1e-3;
    private static readonly int[] Widths = [64, 256, 1024];
    private static readonly int[] Seeds = [1, 2, 3, 4];

    // Standard: N(0, 1/fan_in) weights (w_std=1) and zero biases, so it differs from μP only in the table.
    private const string StandardNet = "linear({0}, w_std=1, b_std=0) relu linear({0}, w_std=1, b_std=0) relu linear(1, w_std=1, b_std=0)";
    private const string MuPNet = "linear({0}, parametrization=mup) relu linear({0}, parametrization=mup) relu linear(1, parametrization=mup)";

    /// <summary>
    /// After <see cref="Steps"/> SGD steps on a fixed batch (MSE to fixed targets), for each linear layer l
    /// ([0] first hidden, [1] last hidden, [2] output) the RMS over batch and units of
    /// [0] h_t − h_0, its pre-activation's change; [1] (W_t − W_0)·x_0, the part its own weight update makes
    /// (x_0: its input at init); [2] b_t − b_0, its bias's change. μP asks each of these to be Θ(1) ("maximal
    /// update"); [0] alone would miss a layer whose own update vanished behind a neighbour's Θ(1) one.
    /// Data depend on the seed only, not on the width, so widths see the same problem.
    /// </summary>
    internal static double[][] CoordinateChange(string specFormat, int width, int seed, double lr, int steps = Steps)
    {
        var spec = SpecParser.Parse(string.Format(System.Globalization.CultureInfo.InvariantCulture, specFormat, width));
        var net = (Sequential<double>)spec.Build<double>([InputDim], new Rng((ulong)seed, stream: (ulong)width));
        var linears = net.Layers.OfType<Linear<double>>().ToArray();
        var data = new Rng((ulong)seed, stream: 1_000_000);
        var x = Var<double>.Constant(data.Normal(0.0, 1.0, Batch, InputDim));
        // Targets of scale 5 ≫ the standard network's Θ(1) initial output, so the residual that drives every
        // update depends on the data, not on each width's own draw of the output layer (which is noise here).
        var y = Var<double>.Constant(data.Normal(0.0, 5.0, Batch, 1));
        var (in0, h0) = Activations(net, x);
        var w0 = linears.Select(l => l.Weight.Value.AsSpan().ToArray()).ToArray();
        var b0 = linears.Select(l => l.Bias!.Value.AsSpan().ToArray()).ToArray();
        var opt = new Sgd<double>(net.Parameters(), lr);
        for (int t = 0; t < steps; t++)
        {
            opt.ZeroGrad();
            Nn.MseLoss(net.Forward(x, ForwardContext.TrainDeterministic), y).Backward();
            opt.Step();
        }
        var (_, ht) = Activations(net, x);
        var sizes = new double[linears.Length][];
        using var noGrad = GradMode.NoGrad();
        for (int l = 0; l < linears.Length; l++)
        {
            var dw = linears[l].Weight.Value.AsSpan().ToArray().Select((v, i) => v - w0[l][i]).ToArray();
            var dwx = Var<double>.MatMulT(Var<double>.Constant(in0[l]), Var<double>.Constant(Tensor.FromArray(dw, linears[l].Weight.Value.ShapeArray)));
            var db = linears[l].Bias!.Value.AsSpan().ToArray().Select((v, i) => v - b0[l][i]).ToArray();
            sizes[l] = [Rms(ht[l].Zip(h0[l], (a, b) => a - b).ToArray()), Rms(dwx.Value.AsSpan().ToArray()), Rms(db)];
        }
        return sizes;
    }

    private static double Rms(double[] v) => Math.Sqrt(v.Sum(d => d * d) / v.Length);

    // The input (copied) and output of every Linear, layer by layer, without recording a graph.
    private static (Tensor<double>[] Inputs, double[][] Outputs) Activations(Sequential<double> net, Var<double> x)
    {
        using var noGrad = GradMode.NoGrad();
        var inputs = new List<Tensor<double>>();
        var outputs = new List<double[]>();
        foreach (var layer in net.Layers)
        {
            if (layer is Linear<double>) inputs.Add(x.Value.Contiguous().Clone());
            x = layer.Forward(x, ForwardContext.Eval);
            if (layer is Linear<double>) outputs.Add(x.Value.AsSpan().ToArray());
        }
        return ([.. inputs], [.. outputs]);
    }

    private static readonly string[] Measures = ["Δh", "ΔW·x", "Δb"];

    /// <summary>Seed-averaged <see cref="CoordinateChange"/> per width, logged: [width][layer][measure].</summary>
    private double[][][] Sweep(string name, string specFormat, double lr)
    {
        var table = new double[Widths.Length][][];
        for (int w = 0; w < Widths.Length; w++)
        {
            table[w] = [new double[3], new double[3], new double[3]];
            foreach (int seed in Seeds)
            {
                var s = CoordinateChange(specFormat, Widths[w], seed, lr);
                for (int l = 0; l < 3; l++) for (int m = 0; m < 3; m++) table[w][l][m] += s[l][m] / Seeds.Length;
            }
            output.WriteLine($"{name} width {Widths[w],5}: " + string.Join("  ", Enumerable.Range(0, 3).Select(l =>
                $"layer {l}: " + string.Join(" ", Enumerable.Range(0, 3).Select(m => $"{Measures[m]} {table[w][l][m]:G3}")))));
        }
        return table;
    }

    private static double Ratio(double[][][] table, int layer, int measure = 0) => table[^1][layer][measure] / table[0][layer][measure];


    // Under μP (Tensor Programs V, Table 3) every pre-activation, every layer's own weight-update part and every
    // bias moves Θ(1) in width: the ratio of widths 1024 and 64 is ≈ 1 (measured 0.87–1.06 over the nine);
    // (2/3, 3/2) leaves room for finite-width noise and still catches a rate or initial scale off by a power
    // of the width in any layer (the break-checks of the commit message).
    [Fact]
    public void UnderMuPEveryLayersChangeIsFlatInWidth()
    {
        var table = Sweep("mup", MuPNet, Lr);
        for (int l = 0; l < 3; l++)
            for (int m = 0; m < 3; m++)
            {
                double r = Ratio(table, l, m);
                Assert.True(r > 2.0 / 3 && r < 1.5, $"layer {l} {Measures[m]}: width ratio {r:G3}, expected ≈ 1");
            }
    }

    // Standard parametrization, one η for every layer, weights N(0, 1/fan_in). Back-propagated signals at the
    // hidden layers have coordinates Θ(1/√n) (the output weights are Θ(1/√n)), so after one step
    //   input layer:  Δh1 = −η δ1 (x·x),  x·x = Θ(d)        → Θ(1/√n)   (width ratio 16: ×1/4)
    //   hidden layer: Δh2 ≈ −η δ2 (x1·x1), x1·x1 = Θ(n)     → Θ(√n)     (×4)
    //   output:       Δf  = −η (x2·x2) r + …,  x2·x2 = Θ(n) → Θ(n)      (×16)
    // and later steps only add to the growth. At these widths the constant-in-width parts (the input layer's
    // share of the kernel, the output bias) still weigh in, and at width 1024 the wide network's larger
    // kernel has already cut the residual over the 4 steps: measured Δh ×0.23, ×2.3, ×7.7 and ΔW·x ×0.23,
    // ×2.7, ×7.5, so the bounds are < 0.5, > 1.8 and > 5 — each also outside μP's (2/3, 3/2).
    [Fact]
    public void UnderTheStandardParametrizationHiddenAndOutputChangesGrowWithWidth()
    {
        var table = Sweep("standard", StandardNet, Lr);
        for (int m = 0; m < 2; m++)   // Δh and the layer's own ΔW·x (the biases' changes are Θ(1/√n) or Θ(1) here)
        {
            Assert.True(Ratio(table, 0, m) < 0.5, $"first hidden layer {Measures[m]}: ratio {Ratio(table, 0, m):G3}, expected ≈ 1/4");
            Assert.True(Ratio(table, 1, m) > 1.8, $"last hidden layer {Measures[m]}: ratio {Ratio(table, 1, m):G3}, expected ≈ 4");
            Assert.True(Ratio(table, 2, m) > 5, $"output {Measures[m]}: ratio {Ratio(table, 2, m):G3}, expected ≈ 16");
        }
    }

    // ---- the table itself, read back from networks built from SPEC text ----

    // (init std, forward multiplier, learning-rate scale) of 0.weight, 0.bias, 2.weight, 2.bias, 4.weight, 4.bias
    // of linear(n) relu linear(n) relu linear(1) on 16 inputs.
    private static (double Std, double Mul, double Lr)[] Table(SequentialSpec spec, int inputs = 16)
        => spec.Build<double>([inputs], new Rng(0)).Parameters()
            .Select(p => (Math.Sqrt(p.Init.Variance(p.FanIn, p.FanOut)), p.Multiplier, p.LearningRateScale)).ToArray();

    private static SequentialSpec Mlp(int n, string parametrization)
        => SpecParser.Parse($"linear({n}, parametrization={parametrization}) relu linear({n}, parametrization={parametrization}) relu linear(1, parametrization={parametrization})");

    private static SequentialSpec WithBase(SequentialSpec spec, MuPOptimizer optimizer, int baseWidth)
        => new(spec.Layers.Select(l => l is LinearSpec lin ? lin with { Parametrization = Parametrization.MuP(optimizer, baseWidth) } : l).ToArray());

    private static void AssertTable((double Std, double Mul, double Lr)[] expected, (double Std, double Mul, double Lr)[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        string[] keys = ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i].Std - actual[i].Std) < 1e-15, $"{keys[i]} init std {actual[i].Std}, expected {expected[i].Std}");
            Assert.True(expected[i].Mul == actual[i].Mul, $"{keys[i]} multiplier {actual[i].Mul}, expected {expected[i].Mul}");
            Assert.True(Math.Abs(expected[i].Lr - actual[i].Lr) < 1e-15, $"{keys[i]} learning-rate scale {actual[i].Lr}, expected {expected[i].Lr}");
        }
    }

    // Tensor Programs V, Table 3 (multipliers 1), base width 1, with d = 16 inputs and 1 output, by hand:
    //                      init std            SGD rate          Adam rate
    //   input W [n, 16]    1/√16 = 0.25        fan_out = n       1
    //   input b [n]        0 (zero biases)     fan_out = n       1
    //   hidden W [n, n]    1/√n                1                 1/fan_in = 1/n
    //   hidden b [n]       0                   n                 1
    //   output W [1, n]    1/n (var 1/n²)      1/fan_in = 1/n    1/n
    //   output b [1]       0                   1 (no width dim)  1
    // n = 64: 1/√n = 0.125, 1/n = 0.015625; n = 256: 0.0625 and 0.00390625.
    [Theory]
    [InlineData(64, 0.125, 0.015625)]
    [InlineData(256, 0.0625, 0.00390625)]
    public void TheSgdAndAdamColumnsAreTensorProgramsVTable3(int n, double invSqrtN, double invN)
    {
        AssertTable([(0.25, 1, n), (0, 1, n), (invSqrtN, 1, 1), (0, 1, n), (invN, 1, invN), (0, 1, 1)], Table(Mlp(n, "mup")));
        AssertTable([(0.25, 1, 1), (0, 1, 1), (invSqrtN, 1, invN), (0, 1, 1), (invN, 1, invN), (0, 1, 1)], Table(Mlp(n, "mup-adam")));
    }

    // With a base width B the fans enter as n/B (the mup package's width multipliers). B = 64, n = 256, ratio 4:
    //   SGD:  input W rate 4, hidden b rate 4, hidden W rate 1, output W var 1/(256·4) → std 1/32, rate 1/4, output b rate 1.
    //   Adam: input 1, biases 1, hidden W rate 1/4, output W rate 1/4 and std 1/32.
    [Fact]
    public void BaseWidthScalesTheTableByTheWidthRatio()
    {
        AssertTable([(0.25, 1, 4), (0, 1, 4), (0.0625, 1, 1), (0, 1, 4), (0.03125, 1, 0.25), (0, 1, 1)],
            Table(WithBase(Mlp(256, "mup"), MuPOptimizer.Sgd, 64)));
        AssertTable([(0.25, 1, 1), (0, 1, 1), (0.0625, 1, 0.25), (0, 1, 1), (0.03125, 1, 0.25), (0, 1, 1)],
            Table(WithBase(Mlp(256, "mup"), MuPOptimizer.Adam, 64)));
    }

    // At the base width μP is the standard Gaussian parametrization (N(0, 1/fan_in) weights, zero biases, every rate 1),
    // for both optimizer columns: what lets a learning rate tuned on the small network transfer.
    [Theory]
    [InlineData(MuPOptimizer.Sgd)]
    [InlineData(MuPOptimizer.Adam)]
    public void AtTheBaseWidthMuPIsTheStandardGaussianParametrization(MuPOptimizer optimizer)
    {
        var standard = Table(SpecParser.Parse(string.Format(System.Globalization.CultureInfo.InvariantCulture, StandardNet, 64)));
        AssertTable(standard, Table(WithBase(Mlp(64, "mup"), optimizer, 64)));
    }
}
