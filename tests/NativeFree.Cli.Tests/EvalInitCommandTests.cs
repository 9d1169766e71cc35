using NativeFree.Cli.Commands;
using NativeFree.Models;
using NativeFree.Models.Spec;
using NativeFree.Models.State;
using NativeFree.Tensors;
using NativeFree.Tensors.IO;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Cli.Tests;

/// <summary>
/// <c>nativefree eval</c> and <c>nativefree init</c> end to end: torch.nn's weights give torch's outputs through the
/// command, init → eval reproduces the library, and bad input is refused with the key, shapes or example named and
/// no output file left behind.
/// </summary>
public class EvalInitCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nf-eval-cli").FullName;
    private static readonly ICommand[] Commands = [new EvalCommand(), new InitCommand()];
    public void Dispose() => Directory.Delete(_dir, true);

    private static string FixtureDir
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                var c = Path.Combine(d.FullName, "tests", "fixtures", "torch");
                if (File.Exists(Path.Combine(c, "mlp.spec"))) return c;
            }
            throw new DirectoryNotFoundException("tests/fixtures/torch");
        }
    }

    private static string Fx(string name) => Path.Combine(FixtureDir, name);
    private static string Spec(string net) => File.ReadAllText(Fx(net + ".spec")).Trim();
    private string Tmp(string name) => Path.Combine(_dir, name);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = Cli.Run(args, Commands, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static double MaxAbsDiff(double[] a, double[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    [Theory]
    [InlineData("mlp", "f32", 1e-6)]
    [InlineData("mlp", "f64", 1e-12)]
    [InlineData("cnn", "f32", 1e-6)]
    [InlineData("cnn", "f64", 1e-12)]
    [InlineData("residual", "f32", 1e-6)]
    [InlineData("residual", "f64", 1e-12)]
    public void EvalGivesTorchsOutputs(string net, string tag, double tolerance)
    {
        string y = Tmp("y.npy");
        var (code, stdout, err) = Run("eval", "--net", Spec(net), "--weights", Fx($"{net}_{tag}.safetensors"),
            "--x", Fx($"{net}_{tag}_x.npy"), "--out", y, "--json");
        Assert.True(code == 0, err);
        var expect = Npy.Read<double>(Fx($"{net}_{tag}_y.npy"));
        var got = Npy.Read<double>(y);
        Assert.Equal(expect.ShapeArray, got.ShapeArray);
        Assert.True(MaxAbsDiff(expect.ToArray(), got.ToArray()) <= tolerance, $"max diff {MaxAbsDiff(expect.ToArray(), got.ToArray()):G3}");
        // The dtype follows the weights: F32 files compute (and write) float32.
        Assert.Contains(tag == "f32" ? "'descr': '<f4'" : "'descr': '<f8'", File.ReadAllText(y)[..80]);
        Assert.Matches($"^\\{{\"n\": {expect.Dim(0)}, \"outputs\": {expect.Dim(1)}, \"output_shape\": \\[{expect.Dim(0)}, {expect.Dim(1)}\\], \"seconds\": [0-9.eE+-]+, \"dtype\": \"float{(tag == "f32" ? 32 : 64)}\"", stdout.Trim());
    }

    [Fact]
    public void BatchSizeDoesNotChangeEvalOutputs()
    {
        string a = Tmp("a.npy"), b = Tmp("b.npy");
        Assert.Equal(0, Run("eval", "--net", Spec("cnn"), "--weights", Fx("cnn_f64.safetensors"), "--x", Fx("cnn_f64_x.npy"), "--out", a).Code);
        Assert.Equal(0, Run("eval", "--net", Spec("cnn"), "--weights", Fx("cnn_f64.safetensors"), "--x", Fx("cnn_f64_x.npy"), "--out", b, "--batch-size", "2").Code);
        // Eval mode makes each example's output independent of the others; only the GEMM's blocking (and so
        // its summation order) changes with the batch, hence rounding-level differences.
        Assert.True(MaxAbsDiff(Npy.Read<double>(a).ToArray(), Npy.Read<double>(b).ToArray()) <= 1e-14);
    }

    [Fact]
    public void NhwcLayoutReadsChannelsLastInputs()
    {
        var x = Npy.Read<double>(Fx("cnn_f64_x.npy"));                    // [N, C, H, W]
        string xl = Tmp("x_nhwc.npy"), y = Tmp("y.npy");
        Npy.Write(xl, x.Permute([0, 2, 3, 1]).Contiguous());              // [N, H, W, C]
        var (code, _, err) = Run("eval", "--net", Spec("cnn"), "--weights", Fx("cnn_f64.safetensors"), "--x", xl, "--out", y, "--layout", "nhwc");
        Assert.True(code == 0, err);
        Assert.True(MaxAbsDiff(Npy.Read<double>(Fx("cnn_f64_y.npy")).ToArray(), Npy.Read<double>(y).ToArray()) <= 1e-12);
        // Read as NCHW the same file is the wrong shape for the first conv: refused, naming the layer.
        var (bad, _, msg) = Run("eval", "--net", Spec("cnn"), "--weights", Fx("cnn_f64.safetensors"), "--x", xl, "--out", y);
        Assert.Equal(1, bad);
        Assert.Contains("conv2d", msg);
    }

    [Fact]
    public void InitThenEvalReproducesTheLibrary()
    {
        const string net = "conv2d(3, 3, padding=1) batch_norm relu avg_pool(2) flatten linear(4)";
        string w = Tmp("w.safetensors"), x = Tmp("x.npy"), y = Tmp("y.npy");
        var (code, stdout, err) = Run("init", "--net", net, "--input-shape", "2,6,6", "--seed", "7", "--out", w, "--dtype", "float64", "--json");
        Assert.True(code == 0, err);
        var module = SpecParser.Parse(net).Build<double>([2, 6, 6], new Rng(7));
        int parameters = 3 * 2 * 9 + 3 + 3 + 3 + 4 * 27 + 4;
        Assert.Equal(parameters, module.ParameterCount);
        Assert.StartsWith($"{{\"parameters\": {parameters}, \"tensors\": 9,", stdout.Trim());
        var file = Safetensors.Load(w);
        Assert.Equal(module.Parameters()[0].Value.ToArray(), file["0.weight"].ToTensor<double>().ToArray());
        Assert.Equal(0, file["1.num_batches_tracked"].ToInt64()[0]);

        var input = new Rng(3).Normal(0.0, 1.0, [5, 2, 6, 6]);
        Npy.Write(x, input);
        // No --net: the SPEC recorded by init is used.
        (code, _, err) = Run("eval", "--weights", w, "--x", x, "--out", y);
        Assert.True(code == 0, err);
        Assert.Equal(module.Predict(input).ToArray(), Npy.Read<double>(y).ToArray());
        // Same seed, same file; another seed, other weights.
        string w2 = Tmp("w2.safetensors"), w3 = Tmp("w3.safetensors");
        Run("init", "--net", net, "--input-shape", "2,6,6", "--seed", "7", "--out", w2, "--dtype", "float64");
        Run("init", "--net", net, "--input-shape", "2,6,6", "--seed", "8", "--out", w3, "--dtype", "float64");
        Assert.Equal(File.ReadAllBytes(w), File.ReadAllBytes(w2));
        Assert.NotEqual(File.ReadAllBytes(w), File.ReadAllBytes(w3));
    }

    [Fact]
    public void InitWithNtkParametrizationStoresUnitVarianceWeightsAndEvalNeedsTheSameParametrization()
    {
        const string net = "linear(512) relu linear(1)";
        string w = Tmp("ntk.safetensors");
        Assert.Equal(0, Run("init", "--net", net, "--input-shape", "64", "--seed", "1", "--out", w, "--parametrization", "ntk", "--dtype", "float64").Code);
        var weight = Safetensors.Load(w)["0.weight"].ToTensor<double>().ToArray();
        double var0 = weight.Select(v => v * v).Average();
        Assert.InRange(var0, 0.95, 1.05);               // N(0, 1) as drawn; standard would give 1/(3·64)
        // The recorded SPEC carries the parametrization, so eval without --net rebuilds the NTK network.
        var meta = Safetensors.Load(w).Metadata[StateDict.SpecKey];
        Assert.Contains("ntk", meta);
    }

    [Fact]
    public void AWrongShapeInTheCheckpointNamesTheKeyAndBothShapesAndWritesNothing()
    {
        string y = Tmp("y.npy");
        var (code, _, err) = Run("eval", "--net", "linear(9) relu linear(8) tanh linear(3)", "--weights", Fx("mlp_f32.safetensors"), "--x", Fx("mlp_f32_x.npy"), "--out", y);
        Assert.Equal(1, code);
        Assert.Contains("'0.weight': shape [8, 6] in the file, [9, 6] in the model", err);
        Assert.False(File.Exists(y));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void ANonFiniteInputIsNamedByExample()
    {
        var x = Npy.Read<double>(Fx("mlp_f64_x.npy"));
        x.AsSpan()[2 * 6 + 4] = double.NaN;
        string xp = Tmp("x.npy"), y = Tmp("y.npy");
        Npy.Write(xp, x);
        var (code, _, err) = Run("eval", "--net", Spec("mlp"), "--weights", Fx("mlp_f64.safetensors"), "--x", xp, "--out", y);
        Assert.Equal(1, code);
        Assert.Contains("example 2", err);
        Assert.Contains("element 4", err);
        Assert.False(File.Exists(y));
    }

    [Fact]
    public void ATruncatedCheckpointIsRefused()
    {
        var bytes = File.ReadAllBytes(Fx("mlp_f32.safetensors"));
        string w = Tmp("cut.safetensors"), y = Tmp("y.npy");
        File.WriteAllBytes(w, bytes[..(bytes.Length - 5)]);
        var (code, _, err) = Run("eval", "--net", Spec("mlp"), "--weights", w, "--x", Fx("mlp_f32_x.npy"), "--out", y);
        Assert.Equal(1, code);
        Assert.False(string.IsNullOrWhiteSpace(err));
        Assert.False(File.Exists(y));
    }

    [Theory]
    [InlineData("eval", "--weights", "W", "--x", "X")]                                  // no --out
    [InlineData("eval", "--weights", "W", "--x", "X", "--out", "Y", "--layout", "nwhc")]
    [InlineData("eval", "--weights", "W", "--x", "X", "--out", "Y", "--dtype", "float16")]
    [InlineData("init", "--net", "linear(3)", "--input-shape", "0,3", "--seed", "1", "--out", "W")]
    [InlineData("init", "--net", "linear(3)", "--input-shape", "4", "--seed", "-1", "--out", "W")]
    [InlineData("init", "--net", "linear(3)", "--input-shape", "4", "--seed", "1", "--out", "W", "--parametrization", "ntx")]
    [InlineData("init", "--net", "linear(3)", "--input-shape", "4", "--seed", "1", "--out", "W", "--bogus", "1")]
    public void UsageErrorsExitTwo(params string[] args)
    {
        var resolved = args.Select(a => a is "W" or "X" or "Y" ? Tmp(a) : a).ToArray();
        if (resolved[0] == "eval") { File.Copy(Fx("mlp_f32.safetensors"), Tmp("W")); File.Copy(Fx("mlp_f32_x.npy"), Tmp("X")); }
        var (code, _, err) = Run(resolved);
        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.False(File.Exists(Tmp("Y")));
    }
}
