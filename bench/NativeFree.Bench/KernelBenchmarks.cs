using NativeFree.Kernels.Spec;
using BenchmarkDotNet.Attributes;
using NativeFree.Kernels;
using NativeFree.Kernels.Layers;
using NativeFree.Tensors;

namespace NativeFree.Bench;

/// <summary>
/// Infinite-width kernels: the ReLU NTK of depth 10 on N×64 inputs (compare with ../shared/anchors/ntk_numpy.py,
/// entry-layers/s = N²·10/time), the layer stack alone on one 128×128 tile, and the 21-layer 3×3 ReLU CNN NTK
/// with Flatten and GlobalAvgPool tops.
/// Run: dotnet run -c Release --project bench/NativeFree.Bench -- --filter '*KernelBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private Tensor<double> _x = null!, _tileA = null!, _tileB = null!, _images = null!, _image = null!;
    private ILayer _relu = null!, _reluStack = null!, _cnnFlatten = null!, _cnnGap = null!;
    private Kernel _tile = null!;

    [Params(1000, 4000)]
    public int N;

    [GlobalSetup]
    public void Setup()
    {
        var s = new NativeFree.Tensors.Randomness.Rng(1);
        _x = s.StandardNormal<double>(N, 64);
        _tileA = s.StandardNormal<double>(128, 64);
        _tileB = s.StandardNormal<double>(128, 64);
        var layers = new List<NativeFree.Models.Spec.LayerSpec> { Stax.Dense(1, 1.0, 0.0) };
        for (int l = 0; l < 10; l++) { layers.Add(Stax.Relu()); layers.Add(Stax.Dense(1, 1.0, 0.0)); }
        _relu = KernelLayers.From(Stax.Serial(layers.ToArray()));
        _reluStack = KernelLayers.From(Stax.Serial(layers.Skip(1).ToArray()));
        _tile = KernelFunction.ComputeTile(KernelLayers.From(Stax.Dense(1, 1.0, 0.0)), _tileA, _tileB);
        _cnnFlatten = Cnn(false);
        _cnnGap = Cnn(true);
        _images = s.StandardNormal<double>(4, 32, 32, 3);
        _image = s.StandardNormal<double>(1, 32, 32, 3);
    }

    private static ILayer Cnn(bool gap)
    {
        var layers = new List<NativeFree.Models.Spec.LayerSpec>();
        for (int l = 0; l < 21; l++) { layers.Add(Stax.Conv(1, 3, 3, wStd: Math.Sqrt(2), bStd: 0.0)); layers.Add(Stax.Relu()); }
        layers.Add(gap ? Stax.GlobalAvgPool() : Stax.Flatten());
        layers.Add(Stax.Dense(1));
        return KernelLayers.From(Stax.Serial(layers.ToArray()));
    }

    /// <summary>The whole symmetric N×N ReLU NTK (input GEMM included).</summary>
    [Benchmark]
    public Tensor<double>? ReluNtkDepth10() => KernelFunction.Compute(_relu, _x).Ntk;

    /// <summary>Ten ReLU+Dense layers on one 128×128 tile (no GEMM, one thread).</summary>
    [Benchmark]
    public Kernel ReluStackOneTile() => _reluStack.Transform(_tile.Clone());

    /// <summary>21-layer CNN, Flatten top: 10 NTK entries (4 images, symmetric).</summary>
    [Benchmark]
    public Tensor<double>? Cnn21FlattenTenEntries() => KernelFunction.Compute(_cnnFlatten, _images, null, new KernelOptions { Kinds = KernelKinds.Ntk }).Ntk;

    /// <summary>21-layer CNN, GlobalAvgPool top (full spatial covariance): one NTK entry.</summary>
    [Benchmark]
    public Tensor<double>? Cnn21GapOneEntry() => KernelFunction.Compute(_cnnGap, _image, null, new KernelOptions { Kinds = KernelKinds.Ntk }).Ntk;
}
