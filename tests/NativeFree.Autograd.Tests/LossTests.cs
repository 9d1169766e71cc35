using NativeFree.Autograd;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Autograd.Tests;

/// <summary>Cross-entropy with class weights and ignored targets against torch's closed forms (gradients are GradChecked in OpCases).</summary>
public class WeightedCrossEntropyTests
{
    private static readonly Tensor<double> ClassWeight = Tensor.FromArray(new[] { 1.0, 2.0, 0.5 }, 3);

    // torch.nn.functional.cross_entropy(x, y, weight=w, ignore_index=ig, label_smoothing=eps), written out:
    // (1 − ε)·Σ w[y]·nll / Σ w[y]  +  (ε/C)·Σ_i Σ_c w[c]·(−log p[i,c]) / Σ w[y], over the kept rows.
    private static double TorchReference(Tensor<double> x, int[] y, double[]? w, int ignore, double eps)
    {
        int n = x.Shape[0], c = x.Shape[1];
        double nll = 0, smooth = 0, denominator = 0;
        for (int i = 0; i < n; i++)
        {
            if (y[i] == ignore) continue;
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < c; j++) max = Math.Max(max, x[i, j]);
            for (int j = 0; j < c; j++) sum += Math.Exp(x[i, j] - max);
            double LogP(int j) => x[i, j] - max - Math.Log(sum);
            double wy = w?[y[i]] ?? 1;
            nll -= wy * LogP(y[i]);
            for (int j = 0; j < c; j++) smooth -= (w?[j] ?? 1) * LogP(j);
            denominator += wy;
        }
        return (1 - eps) * nll / denominator + eps / c * smooth / denominator;
    }

    [Theory]
    [InlineData(false, -100, 0.0)]
    [InlineData(true, -100, 0.0)]
    [InlineData(true, 1, 0.0)]        // ignore a real class
    [InlineData(false, -1, 0.0)]
    [InlineData(true, -1, 0.2)]
    [InlineData(false, 2, 0.1)]
    public void Loss_matches_torchs_formula(bool weighted, int ignore, double eps)
    {
        var x = OpCases.U(new Random(5), [6, 3], -3, 3);
        int[] y = [0, 2, -1, 1, 2, 1];
        if (ignore != -1) y[2] = 0;   // −1 is only legal as a label when it is the ignore index
        var loss = Nn.CrossEntropy(Var<double>.Parameter(x), y, eps, weighted ? ClassWeight : null, ignore).Item();
        Assert.Equal(TorchReference(x, y, weighted ? ClassWeight.ToArray() : null, ignore, eps), loss, 12);
    }

    // At zero logits p = 1/C, so the loss is log C whatever the weights (a weighted mean of equal terms), and
    // row i of the gradient is w[y_i]·(1/C − onehot(y_i))/Σw[y] — 0 for the ignored row. Closed form, no loop.
    [Fact]
    public void Zero_logits_give_log_C_and_the_weighted_closed_form_gradient()
    {
        var x = Var<double>.Parameter(Tensor.Zeros<double>(4, 3));
        int[] y = [2, 7, 0, 1];       // row 1 ignored
        var loss = Nn.CrossEntropy(x, y, weight: ClassWeight, ignoreIndex: 7);
        Assert.Equal(Math.Log(3), loss.Item(), 14);
        loss.Backward();
        double d = 0.5 + 1.0 + 2.0;   // w[2] + w[0] + w[1]
        double[,] expected =
        {
            { 0.5 / 3 / d, 0.5 / 3 / d, 0.5 * (1.0 / 3 - 1) / d },
            { 0, 0, 0 },
            { 1.0 * (1.0 / 3 - 1) / d, 1.0 / 3 / d, 1.0 / 3 / d },
            { 2.0 / 3 / d, 2.0 * (1.0 / 3 - 1) / d, 2.0 / 3 / d },
        };
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(expected[i, j], x.Grad!.Value[i, j], 14);
    }

    // The weighted mean divides by Σ w[y] (here 0.5 + 0.5 = 1), not by N = 2: both rows have loss log 3.
    [Fact]
    public void Weighted_mean_divides_by_the_sum_of_target_weights_not_the_row_count()
    {
        var loss = Nn.CrossEntropy(Var<double>.Constant(Tensor.Zeros<double>(2, 3)), [2, 2], weight: ClassWeight);
        Assert.Equal(Math.Log(3), loss.Item(), 14);   // a divisor N would give 0.5·log 3
    }

    [Fact]
    public void Ignored_rows_have_exactly_zero_gradient_even_with_infinite_logits()
    {
        var x = Var<double>.Parameter(Tensor.FromArray(new[] { 0.3, -1.2, 2.0, double.PositiveInfinity, 1.0, double.NegativeInfinity }, 2, 3));
        var loss = Nn.CrossEntropy(x, [1, 0], ignoreIndex: 0);
        Assert.True(double.IsFinite(loss.Item()));
        loss.Backward();
        for (int j = 0; j < 3; j++) Assert.Equal(0.0, x.Grad!.Value[1, j]);
        Assert.NotEqual(0.0, x.Grad!.Value[0, 0]);
    }

    // torch: mean over no targets is 0/0 = NaN, and the gradient is 0 (nll_loss skips every row).
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void All_ignored_mean_is_NaN_with_zero_gradient_as_torch(double eps)
    {
        var x = Var<double>.Parameter(OpCases.U(new Random(3), [2, 3]));
        var loss = Nn.CrossEntropy(x, [-100, -100], eps);
        Assert.True(double.IsNaN(loss.Item()));
        loss.Backward();
        Assert.All(x.Grad!.Value.ToArray(), g => Assert.Equal(0.0, g));
    }

    [Fact]
    public void Bad_weights_and_labels_are_refused_naming_the_shapes()
    {
        var x = Var<double>.Constant(Tensor.Zeros<double>(2, 3));
        var e = Assert.Throws<ArgumentException>(() => Nn.CrossEntropy(x, [0, 1], weight: Tensor.Ones<double>(4)));
        Assert.Contains("[3]", e.Message);
        Assert.Contains("[4]", e.Message);
        Assert.Throws<ArgumentException>(() => Nn.CrossEntropy(x, [0, -1]));   // −1 is not the default ignore index
    }
}

/// <summary>MultiMarginLoss against torch's kernel written as a loop, and its gradient away from the kinks.</summary>
public class MultiMarginLossTests
{
    // torch's multi_margin_loss_cpu_kernel: h = z or z² for z = margin − x[y] + x[j] > 0, times w[y], summed over j ≠ y, / C.
    private static double[] Reference(Tensor<double> x, int[] y, int p, double margin, double[]? w)
    {
        int n = x.Shape[0], c = x.Shape[1];
        var loss = new double[n];
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int j = 0; j < c; j++)
            {
                if (j == y[i]) continue;
                double z = margin - x[i, y[i]] + x[i, j];
                if (z > 0) sum += (p == 1 ? z : z * z) * (w?[y[i]] ?? 1);
            }
            loss[i] = sum / c;
        }
        return loss;
    }

    [Theory]
    [InlineData(1, 1.0, false)]
    [InlineData(2, 1.0, false)]
    [InlineData(1, 0.3, true)]
    [InlineData(2, 2.0, true)]
    public void Matches_torchs_loop_for_every_reduction(int p, double margin, bool weighted)
    {
        var x = OpCases.U(new Random(9), [5, 4], -1.5, 1.5);
        int[] y = [0, 3, 1, 1, 2];
        var w = weighted ? Tensor.FromArray(new[] { 0.5, 1.5, 2.0, 0.25 }, 4) : null;
        var expected = Reference(x, y, p, margin, w?.ToArray());
        Assert.Contains(expected, e => e > 0);
        var none = Nn.MultiMarginLoss(Var<double>.Constant(x), y, p, margin, w, Reduction.None);
        Assert.Equal([5], none.Value.ShapeArray);
        for (int i = 0; i < 5; i++) Assert.Equal(expected[i], none.Value[i], 13);
        Assert.Equal(expected.Sum(), Nn.MultiMarginLoss(Var<double>.Constant(x), y, p, margin, w, Reduction.Sum).Item(), 13);
        Assert.Equal(expected.Average(), Nn.MultiMarginLoss(Var<double>.Constant(x), y, p, margin, w).Item(), 13);
    }

    [Theory]
    [InlineData(1, Reduction.Mean)]
    [InlineData(2, Reduction.Mean)]
    [InlineData(1, Reduction.None)]
    [InlineData(2, Reduction.Sum)]
    public void Gradient_matches_finite_differences_away_from_the_kinks(int p, Reduction reduction)
    {
        var (x, y) = OpCases.MultiMarginScores(new Random(4 + p), 4, 5, 1.0);
        var w = Tensor.FromArray(new[] { 0.5, 1.5, 2.0, 0.25, 1.0 }, 5);
        var result = GradCheck.Run(a => Nn.MultiMarginLoss(a[0], y, p, 1.0, w, reduction), [x]);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void The_true_class_term_is_excluded_and_bad_arguments_are_refused()
    {
        // All scores equal: every j ≠ y gives z = margin, the j = y term (also margin) must not count.
        var loss = Nn.MultiMarginLoss(Var<double>.Constant(Tensor.Zeros<double>(1, 4)), [2], margin: 1.0);
        Assert.Equal(3.0 / 4, loss.Item(), 15);
        var x = Var<double>.Constant(Tensor.Zeros<double>(2, 3));
        Assert.Throws<ArgumentException>(() => Nn.MultiMarginLoss(x, [0, 1], p: 3));
        Assert.Throws<ArgumentException>(() => Nn.MultiMarginLoss(x, [0, 3]));
        Assert.Contains("[2, 3]", Assert.Throws<ArgumentException>(() => Nn.MultiMarginLoss(x, [0])).Message);
    }
}
