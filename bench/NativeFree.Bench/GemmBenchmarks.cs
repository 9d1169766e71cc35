using BenchmarkDotNet.Attributes;
using NativeFree.Tensors.LinearAlgebra;

namespace NativeFree.Bench;

/// <summary>
/// Square GEMM, C = A·B, on all cores. MemoryDiagnoser shows that a call allocates nothing in
/// steady state (packing buffers are pooled per thread, the thread team is persistent).
/// Run: dotnet run -c Release --project bench/NativeFree.Bench -- --filter '*GemmBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    [Params(64, 256, 1024)]
    public int N;

    private float[] _af = [], _bf = [], _cf = [];
    private double[] _ad = [], _bd = [], _cd = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        int len = N * N;
        _af = new float[len]; _bf = new float[len]; _cf = new float[len];
        _ad = new double[len]; _bd = new double[len]; _cd = new double[len];
        for (int i = 0; i < len; i++)
        {
            _ad[i] = rng.NextDouble() - 0.5; _bd[i] = rng.NextDouble() - 0.5;
            _af[i] = (float)_ad[i]; _bf[i] = (float)_bd[i];
        }
    }

    [Benchmark]
    public void Float32() => Gemm.Multiply(N, N, N, 1f, _af, N, 1, _bf, N, 1, 0f, _cf, N, 1);

    [Benchmark]
    public void Float64() => Gemm.Multiply(N, N, N, 1.0, _ad, N, 1, _bd, N, 1, 0.0, _cd, N, 1);
}
