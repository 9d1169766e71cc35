using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using NativeFree.Kernels;
using NativeFree.Kernels.Internal;
using NativeFree.Kernels.Layers;

namespace NativeFree.Bench;

/// <summary>
/// The fused fully connected ReLU kernel (src/Kernels/Internal/FcReluKernel.cs) split into its parts: the compute
/// alone into outputs allocated and touched once in setup (no first-touch page faults), and the arccos + sine
/// it evaluates per entry and layer, against Math.Acos and Math.Sqrt. The end-to-end fresh-output figure is
/// KernelBenchmarks.ReluNtkDepth10 and `nativefree bench kernel` (which also prints page faults per run).
/// Run: dotnet run -c Release --project bench/NativeFree.Bench -- --filter '*FcKernelBenchmarks*' --inProcess
/// </summary>
[MemoryDiagnoser]
public class FcKernelBenchmarks
{
    private double[] _x = null!, _k = null!, _t = null!, _c = null!, _out = null!;
    private FcReluKernel _fused = null!;

    [Params(2000, 4000)]
    public int N;

    [GlobalSetup]
    public void Setup()
    {
        _x = new NativeFree.Tensors.Randomness.Rng(1).StandardNormal<double>(N, 64).ToArray();
        var layers = new List<NativeFree.Models.Spec.LayerSpec> { Stax.Dense(1, 1.0, 0.0) };
        for (int l = 0; l < 10; l++) { layers.Add(Stax.Relu()); layers.Add(Stax.Dense(1, 1.0, 0.0)); }
        _fused = FcReluKernel.TryCreate(NativeFree.Kernels.Spec.KernelLayers.From(Stax.Serial(layers.ToArray())))!;
        _k = new double[N * N]; _t = new double[N * N];
        Array.Fill(_k, 1.0); Array.Fill(_t, 1.0); // touch every page before timing
        var rng = new Random(3);
        _c = Enumerable.Range(0, 1 << 16).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        _out = new double[_c.Length];
    }

    /// <summary>Symmetric NNGP + NTK, depth 10, both cores, into pre-touched outputs.</summary>
    [Benchmark]
    public void FusedComputeOnly() => _fused.Run(_x, N, _x, N, 64, true, _k, _t, new KernelOptions());

    /// <summary>θ and sin θ for 65,536 cosines with VectorMath.AcosSin (AVX-512 when available).</summary>
    [Benchmark]
    public double AcosSinVector()
    {
        var c = _c; var o = _out;
        if (!Vector512.IsHardwareAccelerated) { for (int i = 0; i < c.Length; i++) o[i] = VectorMath.AcosSin(c[i], out double s) + s; return o[^1]; }
        for (int i = 0; i < c.Length; i += 8)
            (VectorMath.AcosSin(Vector512.Create(c.AsSpan(i, 8)), out var s) + s).CopyTo(o.AsSpan(i, 8));
        return o[^1];
    }

    /// <summary>The same with Math.Acos and Math.Sqrt(1 − c²), scalar.</summary>
    [Benchmark(Baseline = true)]
    public double AcosSinScalarMath()
    {
        var c = _c; var o = _out;
        for (int i = 0; i < c.Length; i++) o[i] = Math.Acos(c[i]) + Math.Sqrt(1 - c[i] * c[i]);
        return o[^1];
    }
}
