using System.Globalization;
using NativeFree.Autograd;
using NativeFree.Kernels;
using NativeFree.Kernels.Prediction;
using NativeFree.Models;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.LinearAlgebra;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Cli.Experiments;

/// <summary>
/// Jacot, Gabriel and Hongler (2018), Neural Tangent Kernel: in the NTK parametrization the empirical
/// tangent kernel of a finite network at initialisation converges to a deterministic kernel as the width
/// grows (the relative error falls like width^−1/2), and a wide network trained by gradient descent on
/// the squared loss follows the linear kernel dynamics of that limit.
/// </summary>
public sealed class NtkWidthExperiment : IExperiment
{
    public string Name => "ntk-width";
    public string Claim => "Jacot et al. 2018: empirical NTK → analytic NTK as width grows (error ∝ width^-1/2); wide nets follow kernel GD";

    /// <summary>The network at a given width: two hidden ReLU layers in the NTK parametrization.</summary>
    internal static string SpecAt(int width) =>
        $"dense({width}, w_std=1.5, b_std=0.1) relu dense({width}, w_std=1.5, b_std=0.1) relu dense(1, w_std=1.5, b_std=0.1)";

    public ExperimentResult Run(ExperimentSettings settings, TextWriter log, CancellationToken cancel)
    {
        bool quick = settings.Quick;
        int[] widths = quick ? [64, 128, 256, 512, 1024, 2048] : [64, 128, 256, 512, 1024, 2048, 4096];
        int seeds = quick ? 4 : 8;
        const int d = 16, nTrain = 8, nTest = 8;
        var rng = new Rng(settings.Seed);
        // Inputs near the unit sphere (‖x‖ ≈ 1), where the ReLU kernels are well conditioned.
        var x = Tensor.Mul(rng.Normal(0.0, 1.0, nTrain + nTest, d), 1 / Math.Sqrt(d));
        var analytic = AnalyticNtk(SpecAt(1), x);
        double analyticNorm = Frobenius(analytic.AsSpan());


        // Part 1: relative Frobenius error of the empirical NTK at initialisation, per width.
        log.WriteLine($"NTK of {SpecAt(0).Replace("(0,", "(n,")} on {x.Dim(0)} inputs in R^{d}, {seeds} initialisations per width");
        log.WriteLine($"{"width",8} {"params",10} {"rel. error",12} {"± sd",10}");
        var meanErr = new double[widths.Length];
        var sdErr = new double[widths.Length];
        for (int w = 0; w < widths.Length; w++)
        {
            var errs = new double[seeds];
            long parameters = 0;
            for (int s = 0; s < seeds; s++)
            {
                cancel.ThrowIfCancellationRequested();
                var net = SpecParser.Parse(SpecAt(widths[w])).Build<double>([d], rng.Fork());
                parameters = net.ParameterCount;
                var empirical = Kernels.Empirical.ModuleKernel.Ntk(net, x);
                errs[s] = Distance(empirical.AsSpan(), analytic.AsSpan()) / analyticNorm;
            }
            meanErr[w] = errs.Average();
            sdErr[w] = Math.Sqrt(errs.Sum(e => (e - meanErr[w]) * (e - meanErr[w])) / Math.Max(1, seeds - 1));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{widths[w],8} {parameters,10} {meanErr[w],12:F4} {sdErr[w],10:F4}"));
        }
        double slope = LogLogSlope(widths.Select(v => (double)v).ToArray(), meanErr);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"log-log slope of the error: {slope:F3} (theory: -0.5)"));

        // Part 2: gradient descent on the MSE of a narrow and a wide network against the kernel dynamics.
        var xTrain = x.Slice(0, 0, nTrain).Contiguous();
        var xTest = x.Slice(0, nTrain, nTrain + nTest).Contiguous();
        var u = Tensor.Mul(rng.Normal(0.0, 1.0, d, 1), Math.Sqrt(d));
        var yTrain = Tensor.Sin(Tensor.MatMul(xTrain, u));
        var kTrain = Block(analytic, 0, nTrain, 0, nTrain);
        var kTestTrain = Block(analytic, nTrain, nTest, 0, nTrain);
        var lambdaMax = Linalg.Eigh(kTrain).Eigenvalues.AsSpan()[^1];
        // GD on L = 1/(2n)·Σ(f − y)²: the top kernel mode contracts by ηλ/n per step; 0.05 keeps the
        // discrete steps close to the gradient flow the kernel dynamics describe.
        double lr = 0.05 * nTrain / lambdaMax;
        int steps = quick ? 300 : 1000;
        int[] dynWidths = quick ? [64, 1024] : [128, 4096];
        var dynamics = new List<Dictionary<string, object?>>();
        var figureSeries = new List<(string, double[], double[], bool)>();
        log.WriteLine($"\ngradient descent, lr {lr:G3}, {steps} steps, {nTrain} train / {nTest} test points; kernel = analytic NTK dynamics from the net's own f0");
        log.WriteLine($"{"width",8} {"train loss net",15} {"kernel",10} {"test dev.",10}");
        foreach (int width in dynWidths)
        {
            cancel.ThrowIfCancellationRequested();
            var net = SpecParser.Parse(SpecAt(width)).Build<double>([d], rng.Fork());
            var f0Train = net.Predict(xTrain);
            var f0Test = net.Predict(xTest);
            var gd = new GradientDescentMse(kTrain, Tensor.Sub(yTrain, f0Train), lr);
            int every = Math.Max(1, steps / 50);
            var ts = new List<double>(); var netLoss = new List<double>(); var kerLoss = new List<double>(); var dev = new List<double>();
            for (int t = 0; t <= steps; t++)
            {
                if (t % every == 0 || t == steps)
                {
                    var fTrain = net.Predict(xTrain);
                    var fTest = net.Predict(xTest);
                    var kTrainPred = Tensor.Add(gd.TrainMean(t), f0Train);
                    var kTestPred = Tensor.Add(gd.Mean(kTestTrain, t), f0Test);
                    ts.Add(t);
                    netLoss.Add(HalfMse(fTrain, yTrain));
                    kerLoss.Add(HalfMse(kTrainPred, yTrain));
                    // Deviation of the test outputs from the kernel prediction, relative to how far the
                    // prediction itself moved from the initial outputs by the end of training.
                    dev.Add(Distance(fTest.AsSpan(), kTestPred.AsSpan()));
                }
                if (t < steps) GdStep(net, xTrain, yTrain, lr);
            }
            var kFinal = Tensor.Add(gd.Mean(kTestTrain, steps), f0Test);
            double moved = Math.Max(Distance(kFinal.AsSpan(), f0Test.AsSpan()), 1e-300);
            var relDev = dev.Select(v => v / moved).ToArray();
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{width,8} {netLoss[^1],15:E3} {kerLoss[^1],10:E3} {relDev.Max(),10:F4}"));
            dynamics.Add(new Dictionary<string, object?>
            {
                ["width"] = width,
                ["final_train_loss_net"] = netLoss[^1],
                ["final_train_loss_kernel"] = kerLoss[^1],
                ["max_test_deviation"] = relDev.Max(),
                ["steps"] = ts.ToArray(),
                ["train_loss_net"] = netLoss.ToArray(),
                ["train_loss_kernel"] = kerLoss.ToArray(),
            });
            figureSeries.Add(($"net, width {width}", ts.ToArray(), netLoss.ToArray(), false));
            if (width == dynWidths[^1]) figureSeries.Add(("NTK dynamics", ts.ToArray(), kerLoss.ToArray(), true));
        }

        var result = new ExperimentResult()
            .Set("spec", SpecAt(0).Replace("(0,", "(n,"))
            .Set("inputs", x.Dim(0))
            .Set("widths", widths)
            .Set("seeds_per_width", seeds)
            .Set("relative_error", meanErr)
            .Set("relative_error_sd", sdErr)
            .Set("slope", slope)
            .Set("slope_expected", -0.5)
            .Set("learning_rate", lr)
            .Set("dynamics", dynamics);
        double c = meanErr[0] * Math.Sqrt(widths[0]);
        result.Figures.Add(("ntk-width.svg", Svg.Lines("Empirical vs analytic NTK", "width", "relative Frobenius error", true, true,
            ("empirical NTK", widths.Select(v => (double)v).ToArray(), meanErr, false),
            ("∝ width^-1/2", widths.Select(v => (double)v).ToArray(), widths.Select(v => c / Math.Sqrt(v)).ToArray(), true))));
        result.Figures.Add(("ntk-width-dynamics.svg", Svg.Lines("Gradient descent: networks vs NTK dynamics", "step", "train loss ½·mean (f − y)²", false, true,
            figureSeries.ToArray())));
        return result;
    }

    /// <summary>The analytic NTK of the infinite-width limit of the spec.</summary>
    private static Tensor<double> AnalyticNtk(string spec, Tensor<double> x) =>
        KernelFunction.Compute(Kernels.Spec.NetworkSpec.Parse(spec), x, null, new KernelOptions { Kinds = KernelKinds.Ntk }).Ntk!;

    /// <summary>One full-batch gradient step on L = 1/(2n)·Σ(f − y)², the loss the kernel dynamics assume.</summary>
    private static void GdStep(Module<double> net, Tensor<double> x, Tensor<double> y, double lr)
    {
        net.ZeroGrad();
        var diff = net.Forward(Var<double>.Constant(x)) - Var<double>.Constant(y);
        ((diff * diff).Sum() * (0.5 / x.Dim(0))).Backward();
        foreach (var q in net.Parameters()) Tensor.AddScaledInPlace(q.Var.Value, -lr, q.Var.Grad!.Value);
    }

    private static double HalfMse(Tensor<double> f, Tensor<double> y)
    {
        double s = 0; var a = f.AsSpan(); var b = y.AsSpan();
        for (int i = 0; i < a.Length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return 0.5 * s / a.Length;
    }

    private static Tensor<double> Block(Tensor<double> k, int r0, int rows, int c0, int cols) =>
        k.Slice(0, r0, r0 + rows).Slice(1, c0, c0 + cols).Contiguous();

    private static double Frobenius(ReadOnlySpan<double> a)
    {
        double s = 0; foreach (double v in a) s += v * v; return Math.Sqrt(s);
    }

    private static double Distance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0; for (int i = 0; i < a.Length; i++) s += (a[i] - b[i]) * (a[i] - b[i]); return Math.Sqrt(s);
    }

    /// <summary>Least-squares slope of log y against log x.</summary>
    internal static double LogLogSlope(double[] x, double[] y)
    {
        var lx = x.Select(v => Math.Log(v)).ToArray(); var ly = y.Select(v => Math.Log(v)).ToArray();
        double mx = lx.Average(), my = ly.Average(), sxy = 0, sxx = 0;
        for (int i = 0; i < lx.Length; i++) { sxy += (lx[i] - mx) * (ly[i] - my); sxx += (lx[i] - mx) * (lx[i] - mx); }
        return sxy / sxx;
    }
}
