using BenchmarkDotNet.Attributes;
using NativeFree.Tensors;
using NativeFree.Tensors.LinearAlgebra;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Bench;

/// <summary>
/// Dense linear algebra in float64: blocked Cholesky (its cost follows <see cref="Gemm"/>) and the
/// symmetric eigendecomposition (Householder + implicit QL). Run with
/// <c>dotnet run -c Release --project bench/NativeFree.Bench -- --filter '*Linalg*'</c>.
/// </summary>
[MemoryDiagnoser]
public class LinalgBenchmarks
{
    private Tensor<double> _spd = null!;
    private Tensor<double> _sym = null!;
    private Tensor<double> _rhs = null!;

    [Params(256, 512)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var b = new Rng(7).StandardNormal<double>(N, N);
        _spd = Tensor.MatMul(b, b.Mt);
        var s = _spd.AsSpan();
        for (int i = 0; i < N; i++) s[i * N + i] += N;
        _sym = Tensor.Add(b, b.Mt).Contiguous();
        _rhs = new Rng(8).StandardNormal<double>(N, 16);
    }

    [Benchmark]
    public Tensor<double> Cholesky() => Linalg.Cholesky(_spd);

    [Benchmark]
    public Tensor<double> SolvePositiveDefinite16() => Linalg.SolvePositiveDefinite(_spd, _rhs);

    [Benchmark]
    public EighResult<double> Eigh() => Linalg.Eigh(_sym);
}
