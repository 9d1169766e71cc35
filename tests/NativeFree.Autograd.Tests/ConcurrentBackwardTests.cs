using NativeFree.Autograd;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Autograd.Tests;

/// <summary>
/// Two threads run backward at the same time through two graphs built from the same parameter leaves. A
/// <see cref="Barrier"/> releases both backward passes together, every iteration, so they overlap; the
/// leaves must end with exactly the sum of the two gradients computed one after the other.
/// </summary>
public class ConcurrentBackwardTests
{
    private const int Iterations = 200;

    // A small recurrent net: every step reads the shared leaves again, so each backward pass keeps adding into
    // their gradients from its first node to its last, and the two passes' updates have every chance to collide.
    // A large, cheap leaf E (64K elements) makes adding into a leaf's Grad a long enough step to collide too.
    private sealed class Rnn
    {
        public readonly Var<double> U, W, B, E;
        public Var<double>[] Leaves => [U, W, B, E];

        public Rnn(int seed)
        {
            var r = new Random(seed);
            U = Var<double>.Parameter(OpCases.U(r, [16, 48], -0.3, 0.3), "u");
            W = Var<double>.Parameter(OpCases.U(r, [48, 48], -0.2, 0.2), "w");
            B = Var<double>.Parameter(OpCases.U(r, [48], -0.3, 0.3), "b");
            E = Var<double>.Parameter(OpCases.U(r, [64, 1024]), "e");
        }

        // x [steps, batch, 16] → Σ h_T² + Σ E·h_T[0, 0]², h_t = tanh(x_t U + h_{t−1} W + b).
        public Var<double> Loss(Tensor<double> x)
        {
            var xs = Var<double>.Constant(x);
            Var<double>? h = null;
            for (int t = 0; t < x.Shape[0]; t++)
            {
                var pre = Var<double>.MatMul(xs.Select(0, t), U) + B;
                h = (h is null ? pre : pre + Var<double>.MatMul(h, W)).Tanh();
            }
            var corner = h!.Select(0, 0).Select(0, 0);
            return (h * h).Sum() + (E * (corner * corner)).Sum();
        }
    }

    private static double[][] SequentialGradients(Rnn net, Tensor<double> x)
    {
        foreach (var p in net.Leaves) p.ZeroGrad();
        net.Loss(x).Backward();
        var g = net.Leaves.Select(p => p.Grad!.Value.ToArray()).ToArray();
        foreach (var p in net.Leaves) p.ZeroGrad();
        return g;
    }

    // Both threads run `body` for each iteration, released together by the barrier; the main thread checks in between.
    private static void RunConcurrently(Action<int, int> body, Action<int> between)
    {
        using var start = new Barrier(2);
        using var done = new Barrier(3);
        using var next = new Barrier(3);
        Exception? failure = null;
        var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            for (int it = 0; it < Iterations; it++)
            {
                try
                {
                    start.SignalAndWait();
                    body(t, it);
                }
                catch (Exception e) { failure ??= e; }
                done.SignalAndWait();
                next.SignalAndWait();
            }
        })).ToArray();
        foreach (var th in threads) th.Start();
        Exception? mismatch = null;
        for (int it = 0; it < Iterations; it++)
        {
            done.SignalAndWait();
            // Keep the threads going after a failure (they wait at the barriers); report the first one at the end.
            if (failure is null && mismatch is null)
                try { between(it); } catch (Exception e) { mismatch = e; }
            next.SignalAndWait();
        }
        foreach (var th in threads) th.Join();
        if (failure is not null) throw new Exception("a backward thread failed", failure);
        if (mismatch is not null) throw mismatch;
    }

    private static void AssertSum(double[] a, double[] b, double[] actual, string what)
    {
        Assert.Equal(a.Length, actual.Length);
        for (int i = 0; i < a.Length; i++)
            if (Math.Abs(a[i] + b[i] - actual[i]) > 1e-12)
                Assert.Fail($"{what}[{i}]: sequential sum {a[i] + b[i]:R}, concurrent {actual[i]:R}");
    }

    [Fact]
    public void Concurrent_backward_passes_sum_into_shared_leaves()
    {
        var net = new Rnn(1);
        var r = new Random(2);
        Tensor<double>[] inputs = [OpCases.U(r, [10, 8, 16]), OpCases.U(r, [10, 8, 16])];
        var expected = inputs.Select(x => SequentialGradients(net, x)).ToArray();
        RunConcurrently(
            // Iterations cycle through the three ways a leaf's Grad is written: adopting the first gradient,
            // adding into a buffer kept by ZeroGrad(reuseBuffer: true), and inside a GraphScope (pooled intermediates).
            (t, it) =>
            {
                if (it % 3 == 2) { using var scope = new GraphScope(); net.Loss(inputs[t]).Backward(); }
                else net.Loss(inputs[t]).Backward();
            },
            it =>
            {
                for (int k = 0; k < net.Leaves.Length; k++)
                {
                    var p = net.Leaves[k];
                    Assert.NotNull(p.Grad);
                    AssertSum(expected[0][k], expected[1][k], p.Grad!.Value.ToArray(), $"iteration {it}, {p.Name}");
                    p.ZeroGrad(reuseBuffer: it % 3 == 0);
                }
            });
    }

    [Fact]
    public void Concurrent_functional_gradients_of_shared_leaves_are_each_passes_own()
    {
        var net = new Rnn(3);
        var r = new Random(4);
        Tensor<double>[] inputs = [OpCases.U(r, [10, 8, 16]), OpCases.U(r, [10, 8, 16])];
        var expected = inputs.Select(x => SequentialGradients(net, x)).ToArray();
        var got = new double[2][][];
        RunConcurrently(
            (t, it) => got[t] = Autodiff.Gradients(net.Loss(inputs[t]), net.Leaves).Select(g => g!.Value.ToArray()).ToArray(),
            it =>
            {
                for (int t = 0; t < 2; t++)
                    for (int k = 0; k < net.Leaves.Length; k++)
                        AssertSum(expected[t][k], new double[expected[t][k].Length], got[t][k], $"iteration {it}, thread {t}, leaf {k}");
                Assert.All(net.Leaves, p => Assert.Null(p.Grad));
            });
    }
}
