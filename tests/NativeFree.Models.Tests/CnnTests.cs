using NativeFree.Autograd;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using NativeFree.Models.State;
using NativeFree.Tensors;
using NativeFree.Tensors.IO;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Models.Tests;

public class CnnTests
{
    [Fact]
    public void GradientsOfASmallCnnMatchFiniteDifferences()
    {
        var net = SpecParser.Parse("conv2d(3, 3, padding=1) batch_norm relu max_pool(2) flatten linear(2)").Build<double>([2, 4, 4], new Rng(1));
        // Non-trivial γ, β so their gradients are generic.
        foreach (var p in net.Parameters().Where(p => p.Key.StartsWith("1.", StringComparison.Ordinal))) p.Value.CopyFrom(new Rng(7).Normal(0.5, 0.3, p.Value.ShapeArray));
        var x = new Rng(2).Normal(0.0, 1.0, 3, 2, 4, 4);
        var target = new Rng(3).Normal(0.0, 1.0, 3, 2);
        Var<double> Loss(Var<double> input) => Nn.MseLoss(net.Forward(input, ForwardContext.TrainDeterministic), Var<double>.Constant(target));
        var xv = Var<double>.Parameter(x.Clone());
        net.ZeroGrad();
        Loss(xv).Backward();
        const double h = 1e-6;
        var checks = net.Parameters().Select(p => (p.Key, p.Value, p.Grad!)).Append(("input", xv.Value, xv.Grad!.Value));
        foreach (var (key, value, grad) in checks)
        {
            var v = value.AsSpan(); var g = grad.ToArray();
            for (int i = 0; i < v.Length; i++)
            {
                double v0 = v[i];
                v[i] = v0 + h; double up = Loss(Var<double>.Constant(xv.Value)).Item();
                v[i] = v0 - h; double dn = Loss(Var<double>.Constant(xv.Value)).Item();
                v[i] = v0;
                double fd = (up - dn) / (2 * h);
                Assert.True(Math.Abs(fd - g[i]) <= 1e-6 * (1 + Math.Abs(fd)), $"{key}[{i}]: finite difference {fd}, backward {g[i]}");
            }
        }
    }

    [Fact]
    public void CnnStateDictKeysShapesAndInt64Counter()
    {
        var spec = SpecParser.Parse("conv2d(4, 3, padding=1) batch_norm relu max_pool(2) conv2d(8, 3, groups=2) avg_pool(2) flatten dropout(0.5) linear(10)");
        Assert.Equal([10], spec.OutputShape([2, 8, 8]));
        var net = spec.Build<float>([2, 8, 8], new Rng(4));
        var entries = StateDict.Entries(net);
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias", "8.weight", "8.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"],
            entries.Select(e => e.Name).ToArray());
        var shapes = entries.ToDictionary(e => e.Name, e => ShapeUtil.Format(e.Shape));
        Assert.Equal("[4, 2, 3, 3]", shapes["0.weight"]);
        Assert.Equal("[4]", shapes["1.running_var"]);
        Assert.Equal("[8, 2, 3, 3]", shapes["4.weight"]);
        Assert.Equal("[10, 8]", shapes["8.weight"]);   // 8 channels × 1 × 1 after 8→6→3 → avg_pool(2) → 1
        Assert.Equal("[]", shapes["1.num_batches_tracked"]);
        net.Forward(Var<float>.Constant(new Rng(5).Normal(0f, 1f, 2, 2, 8, 8)), ForwardContext.Train(new Rng(6)));
        var path = Path.Combine(Path.GetTempPath(), $"nf-cnn-{Guid.NewGuid():N}.safetensors");
        try
        {
            StateDict.Save(net, path);
            var file = Safetensors.Load(path);
            Assert.Equal(SafetensorsDtype.I64, file.Tensors["1.num_batches_tracked"].Dtype);
            Assert.Equal(1L, file.Tensors["1.num_batches_tracked"].ToInt64()[0]);
            var other = spec.Build<float>([2, 8, 8], new Rng(9));
            StateDict.Load(other, file);
            var bn = (BatchNorm<float>)((Sequential<float>)other).Layers[1];
            Assert.Equal(1L, bn.NumBatchesTracked!.Count);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("conv2d(4, 3) conv2d(8, 3x5, stride=2, padding=1x2, dilation=2, groups=2, bias=false, w_std=1.5, b_std=0.1, parametrization=ntk, role=hidden)")]
    [InlineData("conv2d(4, 4, padding=same) conv1d(3, 2) conv(8) conv(8, filter=5, stride=2, padding=valid, w_std=2, b_std=none)")]
    [InlineData("max_pool(2) max_pool(3, stride=2, padding=1, ceil_mode=true) max_pool1d(2) avg_pool(2x3, stride=1) avg_pool1d(3, padding=1, count_include_pad=false)")]
    [InlineData("adaptive_avg_pool(3) adaptive_avg_pool(2x4) adaptive_avg_pool1d(5) global_avg_pool")]
    [InlineData("batch_norm batch_norm(eps=0.001, momentum=none, affine=false, track_running_stats=false) batch_norm(momentum=0.2)")]
    [InlineData("layer_norm layer_norm(eps=1e-6, elementwise_affine=false, axes=last) group_norm(4) group_norm(2, eps=0.01, affine=false)")]
    [InlineData("dropout(0.5) dropout(keep=0.9) dropout embedding(100, 16)")]
    public void NewLayerSpecTextRoundTrips(string text)
    {
        var spec = SpecParser.Parse(text);
        var again = SpecParser.Parse(spec.ToString());
        Assert.Equal(spec, again);
        Assert.Equal(spec.ToString(), again.ToString());
        foreach (var l in spec.Layers) Assert.Contains(l.Kind, SpecGrammar.Help);
    }

    [Fact]
    public void SpecsDifferWhenAFieldDiffers()
    {
        Assert.NotEqual(SpecParser.Parse("conv2d(4, 3)"), SpecParser.Parse("conv2d(4, 3, stride=2)"));
        Assert.NotEqual(SpecParser.Parse("conv2d(4, 3)"), SpecParser.Parse("conv(4, padding=0)"));
        Assert.NotEqual(SpecParser.Parse("max_pool(2)"), SpecParser.Parse("avg_pool(2)"));
        Assert.NotEqual(SpecParser.Parse("max_pool(2)"), SpecParser.Parse("max_pool(2, padding=1)"));
        Assert.NotEqual(SpecParser.Parse("adaptive_avg_pool(2)"), SpecParser.Parse("adaptive_avg_pool(2x3)"));
    }

    [Fact]
    public void LayersThatDoNotFitNameTheLayerAndBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => SpecParser.Parse("conv2d(4, 5)").OutputShape([3, 4, 4]));
        Assert.Contains("conv2d(4, 5)", e.Message); Assert.Contains("[3, 4, 4]", e.Message); Assert.Contains("[4, 0, 0]", e.Message);
        e = Assert.Throws<ArgumentException>(() => SpecParser.Parse("conv2d(4, 3, groups=2)").OutputShape([3, 8, 8]));
        Assert.Contains("conv2d(4, 3, groups=2)", e.Message); Assert.Contains("[3, 8, 8]", e.Message); Assert.Contains("3 input channels", e.Message);
        e = Assert.Throws<ArgumentException>(() => SpecParser.Parse("conv1d(4, 3)").OutputShape([3, 8, 8]));
        Assert.Contains("conv1d(4, 3)", e.Message);
        e = Assert.Throws<ArgumentException>(() => SpecParser.Parse("max_pool(3)").OutputShape([2, 2, 5]));
        Assert.Contains("max_pool(3)", e.Message); Assert.Contains("[2, 2, 5]", e.Message); Assert.Contains("[2, 0, 1]", e.Message);
        e = Assert.Throws<ArgumentException>(() => SpecParser.Parse("group_norm(3)").OutputShape([4, 2]));
        Assert.Contains("group_norm(3)", e.Message); Assert.Contains("[4, 2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => SpecParser.Parse("conv2d(4, 3) max_pool(2) conv2d(2, 5)").OutputShape([1, 8, 8]));
        Assert.Contains("conv2d(2, 5)", e.Message); Assert.Contains("[4, 3, 3]", e.Message);
        var net = SpecParser.Parse("conv2d(4, 3)").Build<double>([2, 6, 6], new Rng(0));
        e = Assert.Throws<ArgumentException>(() => net.Predict(Tensor.Zeros<double>(1, 3, 6, 6)));
        Assert.Contains("[1, 3, 6, 6]", e.Message); Assert.Contains("2, 6, 6]", e.Message);
        Assert.Throws<ArgumentException>(() => SpecParser.Parse("max_pool(2, padding=2)"));
        Assert.Throws<ArgumentException>(() => SpecParser.Parse("dropout(p=0.5, keep=0.5)"));
        Assert.Throws<ArgumentException>(() => SpecParser.Parse("layer_norm(axes=first)"));
    }
}
