using NativeFree.Autograd;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Autograd.Tests;

/// <summary>
/// The buffer pool of <see cref="GraphScope"/> and in-place gradient accumulation: results must be
/// exactly those computed without pooling, whatever stale data recycled buffers held.
/// </summary>
public class GraphScopeTests
{
    private static Tensor<double> Rand(Random r, params int[] shape)
    {
        var t = Tensor.Zeros<double>(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = r.NextDouble() * 2 - 1;
        return t;
    }

    // A two-layer ReLU MLP with cross-entropy, the bench's workload in float64.
    private static Var<double> Loss(Var<double>[] p, Tensor<double> x, int[] y)
        => Nn.CrossEntropy(Var<double>.MatMul((Var<double>.MatMul(x, p[0]) + p[1]).Relu(), p[2]) + p[3], y);

    private static (Var<double>[] P, Tensor<double> X, int[] Y) Model(int seed)
    {
        var r = new Random(seed);
        var p = new[] { Rand(r, 5, 7), Rand(r, 7), Rand(r, 7, 3), Rand(r, 3) }.Select(t => Var<double>.Parameter(t)).ToArray();
        return (p, Rand(r, 4, 5), [0, 2, 1, 2]);
    }

    [Fact]
    public void Steps_inside_scopes_give_the_gradients_of_unpooled_steps()
    {
        var (pooled, x, y) = Model(1);
        var (plain, _, _) = Model(1);
        for (int step = 0; step < 3; step++)
        {
            foreach (var v in plain) v.ZeroGrad();
            Loss(plain, x, y).Backward();
            using (new GraphScope())
            {
                Loss(pooled, x, y).Backward();
                // From the second step on, every rented buffer holds stale values of the previous step.
                for (int i = 0; i < 4; i++) Assert.Equal(plain[i].Grad!.Value.ToArray(), pooled[i].Grad!.Value.ToArray());
            }
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(plain[i].Grad!.Value.ToArray(), pooled[i].Grad!.Value.ToArray()); // survives the scope
                pooled[i].ZeroGrad(reuseBuffer: true);
            }
        }
    }

    [Fact]
    public void Leaf_gradients_survive_the_scope_and_later_steps_reusing_its_buffers()
    {
        var (p, x, y) = Model(2);
        double[] expected;
        using (new GraphScope())
        {
            Loss(p, x, y).Backward();
            expected = p[0].Grad!.Value.ToArray();
        }
        var other = Model(3);
        using (new GraphScope()) Loss(other.P, other.X, other.Y).Backward();
        Assert.Equal(expected, p[0].Grad!.Value.ToArray());
    }

    [Fact]
    public void ZeroGrad_with_reuse_writes_the_next_gradient_into_the_same_buffer()
    {
        var (p, x, y) = Model(4);
        using (new GraphScope()) Loss(p, x, y).Backward();
        var storage = p[2].Grad!.Value.Storage;
        p[2].ZeroGrad(reuseBuffer: true);
        Assert.Null(p[2].Grad);
        using (new GraphScope()) (Loss(p, x, y) * 3.0).Backward();
        Assert.Same(storage, p[2].Grad!.Value.Storage);
        var (q, _, _) = Model(4);
        (Loss(q, x, y) * 3.0).Backward();
        Assert.Equal(q[2].Grad!.Value.ToArray(), p[2].Grad!.Value.ToArray()); // overwritten, not accumulated
    }

    [Fact]
    public void Gradients_accumulate_in_place_across_backward_passes()
    {
        var (p, x, y) = Model(5);
        var (q, _, _) = Model(5);
        using (new GraphScope()) { Loss(p, x, y).Backward(); Loss(p, x, y).Backward(); }
        Loss(q, x, y).Backward();
        var twice = q[0].Grad!.Value.ToArray().Select(v => 2 * v).ToArray();
        var got = p[0].Grad!.Value.ToArray();
        for (int i = 0; i < got.Length; i++) Assert.Equal(twice[i], got[i], 12);
    }

    [Fact]
    public void Hvp_inside_a_scope_equals_Hvp_outside()
    {
        var (p, x, y) = Model(6);
        var xs = p.Select(v => v.Value).ToArray();
        var r = new Random(7);
        var vs = xs.Select(t => Rand(r, t.ShapeArray)).ToArray();
        Func<Var<double>[], Var<double>> f = a => Loss(a, x, y);
        var expected = Autodiff.Hvp(f, xs, vs).Select(t => t.ToArray()).ToArray();
        using (new GraphScope())
        {
            var got = Autodiff.Hvp(f, xs, vs);
            for (int i = 0; i < got.Length; i++) Assert.Equal(expected[i], got[i].ToArray());
        }
    }

    [Fact]
    public void Bias_add_and_its_gradient_match_the_broadcasting_engine_and_row_sums()
    {
        var r = new Random(8);
        var x = Var<double>.Parameter(Rand(r, 3, 4));
        var b = Var<double>.Parameter(Rand(r, 4));
        var w = Rand(r, 3, 4);
        var y = x + b;
        Assert.Equal(Tensor.Add(x.Value, b.Value).ToArray(), y.Value.ToArray());
        (y * w).Sum().Backward();
        for (int j = 0; j < 4; j++) Assert.Equal(w[0, j] + w[1, j] + w[2, j], b.Grad!.Value[j], 12);
    }

    [Fact]
    public void Disposing_an_outer_scope_before_the_inner_one_throws()
    {
        var outer = new GraphScope();
        var inner = new GraphScope();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        outer.Dispose();
        Assert.False(GraphScope.IsActive);
    }
}

/// <summary>The fused cross-entropy primitive against a naive float64 loop (its gradient is GradChecked in OpCases).</summary>
public class CrossEntropyIndexTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void Loss_matches_a_naive_log_softmax_loop(double smoothing)
    {
        var r = new Random(11);
        int n = 5, c = 4;
        var x = Tensor.Zeros<double>(n, c);
        var xs = x.AsSpan();
        for (int i = 0; i < xs.Length; i++) xs[i] = (r.NextDouble() * 2 - 1) * 30; // large, to need the max shift
        int[] y = [0, 3, 1, 3, 2];
        double expected = 0;
        for (int i = 0; i < n; i++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < c; j++) max = Math.Max(max, x[i, j]);
            for (int j = 0; j < c; j++) sum += Math.Exp(x[i, j] - max);
            for (int j = 0; j < c; j++)
            {
                double target = (j == y[i] ? 1 - smoothing : 0) + smoothing / c;
                expected -= target * (x[i, j] - max - Math.Log(sum));
            }
        }
        expected /= n;
        Assert.Equal(expected, Nn.CrossEntropy(Var<double>.Parameter(x), y, smoothing).Item(), 10);
    }
}
