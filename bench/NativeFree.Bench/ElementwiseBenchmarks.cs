using BenchmarkDotNet.Attributes;
using NativeFree.Tensors;

namespace NativeFree.Bench;

/// <summary>
/// Elementwise exp and add on 1M floats, ours (destination overloads, no allocation) against
/// TensorPrimitives called directly on the same spans; sum and softmax of a [256, 1024] batch.
/// Run: dotnet run -c Release --project bench/NativeFree.Bench -- --filter '*Elementwise*'
/// </summary>
[MemoryDiagnoser]
public class ElementwiseBenchmarks
{
    private const int N = 1 << 20;
    private Tensor<float> _x = null!, _y = null!, _d = null!, _batch = null!, _batchOut = null!, _rowSums = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _x = Tensor.FromArray(Enumerable.Range(0, N).Select(_ => (float)(rng.NextDouble() * 20 - 10)).ToArray(), N);
        _y = Tensor.FromArray(Enumerable.Range(0, N).Select(_ => (float)rng.NextDouble()).ToArray(), N);
        _d = Tensor.Zeros<float>(N);
        _batch = Tensor.FromArray(Enumerable.Range(0, 256 * 1024).Select(_ => (float)(rng.NextDouble() * 8 - 4)).ToArray(), 256, 1024);
        _batchOut = Tensor.Zeros<float>(256, 1024);
        _rowSums = Tensor.Zeros<float>(256);
    }

    [Benchmark(Baseline = true)]
    public void ExpTensorPrimitives() => System.Numerics.Tensors.TensorPrimitives.Exp(_x.AsSpan(), _d.AsSpan());

    [Benchmark]
    public Tensor<float> ExpOurs() => Tensor.Exp(_x, _d);

    [Benchmark]
    public void AddTensorPrimitives() => System.Numerics.Tensors.TensorPrimitives.Add(_x.AsSpan(), _y.AsSpan(), _d.AsSpan());

    [Benchmark]
    public Tensor<float> AddOurs() => Tensor.Add(_x, _y, _d);

    [Benchmark]
    public Tensor<float> SumLastAxis256x1024() => Tensor.Sum(_batch, [1], false, _rowSums);

    [Benchmark]
    public float SumAllTensorPrimitives256x1024() => System.Numerics.Tensors.TensorPrimitives.Sum<float>(_batch.AsSpan());

    [Benchmark]
    public Tensor<float> Softmax256x1024() => Tensor.Softmax(_batch, 1, _batchOut);
}
