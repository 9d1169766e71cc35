using System.Numerics;
using NativeFree.Models.Spec;
using NativeFree.Models.State;
using NativeFree.Tensors;
using NativeFree.Tensors.IO;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Models.Tests;

/// <summary>
/// The finite network behind a SPEC against PyTorch itself: tests/fixtures/torch holds state dicts, inputs and
/// eval-mode outputs written by torch.nn (make_fixtures.py), for an MLP, a CNN with batch norm, max/avg pooling
/// and dropout, and a ResNet basic block. Loading torch's weights must give torch's outputs.
/// </summary>
public class TorchParityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nf-torch-parity").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>tests/fixtures/torch, found by walking up from the test binary (works from any checkout).</summary>
    public static string FixtureDir
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, "tests", "fixtures", "torch");
                if (File.Exists(Path.Combine(candidate, "mlp.spec"))) return candidate;
            }
            throw new DirectoryNotFoundException("tests/fixtures/torch not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Fixture(string name) => Path.Combine(FixtureDir, name);
    public static string SpecOf(string net) => File.ReadAllText(Fixture(net + ".spec")).Trim();

    public static TheoryData<string> Nets => new() { "mlp", "cnn", "residual" };

    private static Module<T> LoadTorch<T>(string net, string tag) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = Npy.Read<T>(Fixture($"{net}_{tag}_x.npy"));
        var module = SpecParser.Parse(SpecOf(net)).Build<T>(x.ShapeArray[1..], new Rng(0));
        StateDict.Load(module, Fixture($"{net}_{tag}.safetensors"));
        return module;
    }

    private static double MaxAbsDiff<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(a.ShapeArray, b.ShapeArray);
        var sa = a.Contiguous().AsSpan(); var sb = b.Contiguous().AsSpan();
        double m = 0;
        for (int i = 0; i < sa.Length; i++) m = Math.Max(m, Math.Abs(double.CreateTruncating(sa[i]) - double.CreateTruncating(sb[i])));
        return m;
    }

    [Theory, MemberData(nameof(Nets))]
    public void Float64OutputsMatchTorchTo1e12(string net)
    {
        var module = LoadTorch<double>(net, "f64");
        var y = module.Predict(Npy.Read<double>(Fixture($"{net}_f64_x.npy")));
        var expect = Npy.Read<double>(Fixture($"{net}_f64_y.npy"));
        Assert.True(MaxAbsDiff(y, expect) <= 1e-12, $"{net}: max |ours − torch| = {MaxAbsDiff(y, expect):G3}");
    }

    [Theory, MemberData(nameof(Nets))]
    public void Float32OutputsMatchTorchTo1e6(string net)
    {
        var module = LoadTorch<float>(net, "f32");
        var y = module.Predict(Npy.Read<float>(Fixture($"{net}_f32_x.npy")));
        var expect = Npy.Read<float>(Fixture($"{net}_f32_y.npy"));
        Assert.True(MaxAbsDiff(y, expect) <= 1e-6, $"{net}: max |ours − torch| = {MaxAbsDiff(y, expect):G3}");
    }

    [Fact]
    public void TrainModeDiffersFromEvalSoTheFixtureReallyTestsEvalMode()
    {
        // If batch norm or dropout ignored the mode, the eval test above could pass by accident only when the
        // fixture's running statistics were trivial; they are not: train mode gives different outputs.
        var module = LoadTorch<double>("cnn", "f64");
        var x = Npy.Read<double>(Fixture("cnn_f64_x.npy"));
        var train = module.Forward(Autograd.Var<double>.Constant(x), ForwardContext.Train(new Rng(5))).Value;
        Assert.True(MaxAbsDiff(train, Npy.Read<double>(Fixture("cnn_f64_y.npy"))) > 1e-3);
    }

    [Theory, MemberData(nameof(Nets))]
    public void SavingAndLoadingRoundTripsBitForBit(string net)
    {
        foreach (var tag in new[] { "f32", "f64" })
        {
            var torchFile = Safetensors.Load(Fixture($"{net}_{tag}.safetensors"));
            string path = Path.Combine(_dir, $"{net}_{tag}.safetensors");
            if (tag == "f32") { var m = LoadTorch<float>(net, tag); StateDict.Save(m, path); }
            else { var m = LoadTorch<double>(net, tag); StateDict.Save(m, path); }
            var ours = Safetensors.Load(path);
            Assert.Equal(torchFile.Tensors.Keys.Order(), ours.Tensors.Keys.Order());
            foreach (var (key, e) in torchFile.Tensors)
            {
                var o = ours[key];
                Assert.Equal(e.Dtype, o.Dtype);
                Assert.Equal(e.Shape, o.Shape);
                if (e.Dtype == SafetensorsDtype.I64) { Assert.Equal(e.ToInt64(), o.ToInt64()); continue; }
                var a = e.ToTensor<double>().ToArray(); var b = o.ToTensor<double>().ToArray();
                for (int i = 0; i < a.Length; i++)
                    Assert.True(BitConverter.DoubleToInt64Bits(a[i]) == BitConverter.DoubleToInt64Bits(b[i]), $"{net}/{tag} {key}[{i}]: {a[i]:R} vs {b[i]:R}");
            }
            // And the reloaded network computes bit-identical outputs.
            if (tag == "f64")
            {
                var x = Npy.Read<double>(Fixture($"{net}_f64_x.npy"));
                var again = SpecParser.Parse(SpecOf(net)).Build<double>(x.ShapeArray[1..], new Rng(99));
                StateDict.Load(again, path);
                Assert.Equal(LoadTorch<double>(net, "f64").Predict(x).ToArray(), again.Predict(x).ToArray());
            }
        }
    }

    [Fact]
    public void AWrongShapeNamesTheKeyAndBothShapes()
    {
        var module = SpecParser.Parse("linear(9) relu linear(8) tanh linear(3)").Build<double>([6], new Rng(0));
        var before = module.Parameters()[0].Value.ToArray();
        var e = Assert.Throws<ArgumentException>(() => StateDict.Load(module, Fixture("mlp_f64.safetensors")));
        Assert.Contains("'0.weight': shape [8, 6] in the file, [9, 6] in the model", e.Message);
        Assert.Contains("'0.bias': shape [8] in the file, [9] in the model", e.Message);
        Assert.Contains("'2.weight': shape [8, 8] in the file, [8, 9] in the model", e.Message);
        Assert.Equal(before, module.Parameters()[0].Value.ToArray()); // all or nothing
    }

    [Fact]
    public void UnknownAndMissingKeysAreListedTogether()
    {
        var file = Safetensors.Load(Fixture("mlp_f64.safetensors"));
        var entries = file.Entries.Where(e => e.Name != "4.bias").ToList();
        entries.Add(SafetensorsEntry.From("5.weight", Tensor.Zeros<double>(2, 2)));
        string path = Path.Combine(_dir, "keys.safetensors");
        Safetensors.Save(path, entries);
        var module = SpecParser.Parse(SpecOf("mlp")).Build<double>([6], new Rng(0));
        var e = Assert.Throws<ArgumentException>(() => StateDict.Load(module, path));
        Assert.Contains("missing key '4.bias' (expected shape [3])", e.Message);
        Assert.Contains("unexpected key '5.weight' (shape [2, 2])", e.Message);
        Assert.Contains("2 problems", e.Message);
        StateDict.Load(module, path, strict: false); // non-strict skips both
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "∞")]
    public void NonFiniteWeightsAreNamed(double bad, string shown)
    {
        var file = Safetensors.Load(Fixture("cnn_f64.safetensors"));
        var entries = file.Entries.Select(e =>
        {
            if (e.Name != "1.running_var") return e;
            var t = e.ToTensor<double>(); t.AsSpan()[2] = bad;
            return SafetensorsEntry.From(e.Name, t);
        }).ToList();
        string path = Path.Combine(_dir, "nan.safetensors");
        Safetensors.Save(path, entries);
        var module = SpecParser.Parse(SpecOf("cnn")).Build<double>([2, 6, 6], new Rng(0));
        var e = Assert.Throws<ArgumentException>(() => StateDict.Load(module, path));
        Assert.Contains("'1.running_var': element 2 is", e.Message);
        Assert.True(e.Message.Contains(shown) || e.Message.Contains(bad.ToString()), e.Message);
    }

    [Fact]
    public void TruncatedFilesAreRefusedWithTheirOffsetAtEveryLength()
    {
        var bytes = File.ReadAllBytes(Fixture("cnn_f32.safetensors"));
        string path = Path.Combine(_dir, "cut.safetensors");
        // Every cut inside the 8-byte length and the header, and a spread of cuts inside the data.
        var cuts = Enumerable.Range(0, 600).Concat(Enumerable.Range(0, 40).Select(i => 600 + i * (bytes.Length - 601) / 40));
        foreach (int cut in cuts.Where(c => c < bytes.Length).Distinct())
        {
            File.WriteAllBytes(path, bytes[..cut]);
            var e = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
    }
}
