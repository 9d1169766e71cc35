using NativeFree.Tensors;

namespace NativeFree.Autograd;

/// <summary>How a loss combines its per-sample values (torch's <c>reduction</c>).</summary>
public enum Reduction
{
    /// <summary>The mean over samples.</summary>
    Mean,
    /// <summary>The sum over samples.</summary>
    Sum,
    /// <summary>No reduction: one loss per sample.</summary>
    None,
}

/// <summary>
/// Neural-network functions and losses, all written with the primitives of <see cref="Var{T}"/>
/// (so they need no derivative rules of their own and support any order of derivative).
/// </summary>
public static class Nn
{
    /// <summary>Rows <c>weight[ids[i]]</c>: a [ids.Length, dim] var from a [vocab, dim] weight.</summary>
    public static Var<T> Embedding<T>(Var<T> weight, int[] ids) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (weight.Rank != 2) throw new ArgumentException($"Embedding weight must be [vocab, dim]; got {ShapeUtil.Format(weight.Shape)}.", nameof(weight));
        return weight.IndexSelect(0, ids);
    }

    /// <summary>
    /// Inverted dropout: each element is zeroed with probability <paramref name="p"/> and the rest scaled
    /// by 1/(1−p). The mask comes from <paramref name="seed"/>, so a step is reproducible. Identity when not training.
    /// </summary>
    public static Var<T> Dropout<T>(Var<T> x, double p, int seed, bool training = true) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentException($"Dropout probability must be in [0, 1); got {p}.", nameof(p));
        if (!training || p == 0) return x;
        var rng = new Random(seed);
        var mask = new T[x.Value.Length];
        T keep = T.CreateTruncating(1 / (1 - p));
        for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextDouble() >= p ? keep : T.Zero;
        return x * Var<T>.Constant(Tensor.FromArray(mask, x.Value.ShapeArray));
    }

    /// <summary>Mean squared error, mean((a − b)²) over all elements (b broadcasts).</summary>
    public static Var<T> MseLoss<T>(Var<T> prediction, Var<T> target) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var d = prediction - target;
        return (d * d).Mean();
    }

    /// <summary>
    /// Cross-entropy from logits [N, C] and class indices (length N), as torch.nn.functional.cross_entropy with
    /// reduction='mean'. Row i contributes w[y_i]·(−log softmax(logits)[i, y_i]); the sum is divided by
    /// Σ w[y_i] over the rows that are not ignored (N without weights and ignored rows). With label smoothing ε
    /// the target is (1 − ε)·onehot + ε/C; with weights the smoothing part of a row is (ε/C)·Σ_c w[c]·(−log p[i, c]),
    /// over the same divisor (torch's formula).
    /// </summary>
    /// <param name="logits">Unnormalised scores [N, C].</param>
    /// <param name="classes">Target class per row, in [0, C) or equal to <paramref name="ignoreIndex"/>.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="weight">Optional per-class weights [C] (not differentiated), as torch's <c>weight</c>.</param>
    /// <param name="ignoreIndex">A target equal to this adds nothing to the loss or the divisor, and its row's gradient is 0
    /// (torch's default −100). When every target is ignored (or the weights of the kept targets sum to 0) the loss is
    /// 0/0 = NaN and the gradient is 0, exactly as in PyTorch.</param>
    public static Var<T> CrossEntropy<T>(Var<T> logits, int[] classes, double labelSmoothing = 0, Tensor<T>? weight = null, int ignoreIndex = -100)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (n, c) = CheckLogits(logits, labelSmoothing);
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Length != n) throw new ArgumentException($"Cross-entropy: {classes.Length} class labels for {n} rows of logits {ShapeUtil.Format(logits.Shape)}.", nameof(classes));
        foreach (int k in classes)
            if ((uint)k >= (uint)c && k != ignoreIndex) throw new ArgumentException($"Cross-entropy: class {k} is out of range for {c} classes (and is not the ignore index {ignoreIndex}).", nameof(classes));
        return Var<T>.CrossEntropyIndex(logits, (int[])classes.Clone(), labelSmoothing, ClassWeights(weight, c, logits), ignoreIndex);
    }

    // The class weights as a private array of length C (the loss keeps it for its backward).
    private static T[]? ClassWeights<T>(Tensor<T>? weight, int c, Var<T> scores) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (weight is null) return null;
        if (weight.Rank != 1 || weight.Shape[0] != c)
            throw new ArgumentException($"Class weights must have shape [{c}] for scores {ShapeUtil.Format(scores.Shape)}; got {ShapeUtil.Format(weight.Shape)}.", nameof(weight));
        return weight.ToArray();
    }

    /// <summary>Cross-entropy from logits [N, C] and soft targets [N, C] (rows are distributions), averaged over N, with optional label smoothing.</summary>
    public static Var<T> CrossEntropy<T>(Var<T> logits, Var<T> targets, double labelSmoothing = 0) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (n, c) = CheckLogits(logits, labelSmoothing);
        if (!ShapeUtil.SameShape(targets.Shape, logits.Shape))
            throw new ArgumentException($"Cross-entropy: soft targets of shape {ShapeUtil.Format(targets.Shape)} must match the logits {ShapeUtil.Format(logits.Shape)}.", nameof(targets));
        var t = labelSmoothing > 0 ? targets * T.CreateTruncating(1 - labelSmoothing) + T.CreateTruncating(labelSmoothing / c) : targets;
        return -(t * logits.LogSoftmax(1)).Sum() * T.CreateTruncating(1.0 / n);
    }

    private static (int N, int C) CheckLogits<T>(Var<T> logits, double labelSmoothing) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (logits.Rank != 2) throw new ArgumentException($"Cross-entropy expects logits of shape [N, C]; got {ShapeUtil.Format(logits.Shape)}.", nameof(logits));
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new ArgumentException($"Label smoothing must be in [0, 1]; got {labelSmoothing}.", nameof(labelSmoothing));
        return (logits.Shape[0], logits.Shape[1]);
    }

    /// <summary>
    /// Huber loss with threshold δ: ½d² where |d| ≤ δ, δ(|d| − ½δ) elsewhere; mean over elements. The gradient is
    /// continuous (d, or δ·sign(d)); exactly at |d| = δ the quadratic branch is taken, which gives the same d = ±δ as torch.
    /// </summary>
    public static Var<T> HuberLoss<T>(Var<T> prediction, Var<T> target, double delta = 1.0) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (!(delta > 0)) throw new ArgumentException($"Huber delta must be > 0; got {delta}.", nameof(delta));
        var d = prediction - target;
        var ad = d.Abs();
        T dl = T.CreateTruncating(delta);
        var small = Tensor.LessEqual(ad.Value, Tensor.Scalar(dl));
        var quadratic = d * d * T.CreateTruncating(0.5);
        var linear = (ad - T.CreateTruncating(0.5 * delta)) * dl;
        return Var<T>.Where(small, quadratic, linear).Mean();
    }

    /// <summary>
    /// Multi-class hinge loss, torch.nn.MultiMarginLoss: for scores x [N, C] and classes y (length N),
    /// loss_i = Σ_{j≠y_i} w[y_i]·max(0, margin − x[i, y_i] + x[i, j])^p / C, reduced over the rows by
    /// <paramref name="reduction"/> (mean divides by N, not by the weights — torch does the same here).
    /// The weight multiplies the powered term, as torch's kernel does (its docs draw it inside the max).
    /// At the kink margin − x[y] + x[j] = 0 the term's gradient is 0 (torch: only z &gt; 0 counts).
    /// </summary>
    /// <param name="scores">Scores [N, C].</param>
    /// <param name="classes">The true class per row, in [0, C).</param>
    /// <param name="p">1 or 2.</param>
    /// <param name="margin">The margin (torch's default 1).</param>
    /// <param name="weight">Optional per-class weights [C] (not differentiated).</param>
    /// <param name="reduction">Mean or sum over rows, or None for the [N] per-row losses.</param>
    public static Var<T> MultiMarginLoss<T>(Var<T> scores, int[] classes, int p = 1, double margin = 1, Tensor<T>? weight = null, Reduction reduction = Reduction.Mean)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (scores.Rank != 2) throw new ArgumentException($"MultiMarginLoss expects scores of shape [N, C]; got {ShapeUtil.Format(scores.Shape)}.", nameof(scores));
        if (p is not (1 or 2)) throw new ArgumentException($"MultiMarginLoss supports p = 1 or 2 (as torch); got {p}.", nameof(p));
        int n = scores.Shape[0], c = scores.Shape[1];
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Length != n) throw new ArgumentException($"MultiMarginLoss: {classes.Length} class labels for {n} rows of scores {ShapeUtil.Format(scores.Shape)}.", nameof(classes));
        foreach (int k in classes)
            if ((uint)k >= (uint)c) throw new ArgumentException($"MultiMarginLoss: class {k} is out of range for {c} classes.", nameof(classes));
        var w = ClassWeights(weight, c, scores);
        // Per row: the factor w[y_i]/C on every j ≠ y_i, 0 at j = y_i (that term would be max(0, margin)^p).
        var factor = Tensor.Zeros<T>(n, c);
        for (int i = 0; i < n; i++)
        {
            T f = (w is null ? T.One : w[classes[i]]) / T.CreateTruncating(c);
            for (int j = 0; j < c; j++) factor[i, j] = j == classes[i] ? T.Zero : f;
        }
        var target = scores.Gather(1, (int[])classes.Clone(), [n, 1]);                   // x[i, y_i], [N, 1]
        var hinge = (scores - target + T.CreateTruncating(margin)).Relu();
        if (p == 2) hinge = hinge * hinge;
        var rows = (hinge * Var<T>.Constant(factor)).Sum([1]);
        return Reduce(rows, reduction);
    }

    private static Var<T> Reduce<T>(Var<T> perRow, Reduction reduction) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => reduction switch
        {
            Reduction.Mean => perRow.Mean(),
            Reduction.Sum => perRow.Sum(),
            Reduction.None => perRow,
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Reduction must be Mean, Sum or None."),
        };

    /// <summary>Hinge loss mean(max(0, 1 − y·s)) for labels y ∈ {−1, +1}. Exactly on the margin (y·s = 1) the gradient is 0, from relu'(0) = 0 (torch's relu gives the same).</summary>
    public static Var<T> HingeLoss<T>(Var<T> scores, Var<T> labels) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => (T.One - labels * scores).Relu().Mean();

    /// <summary>Squared hinge loss mean(max(0, 1 − y·s)²) for labels y ∈ {−1, +1}; smooth at the margin (gradient 0 there).</summary>
    public static Var<T> SquaredHingeLoss<T>(Var<T> scores, Var<T> labels) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var m = (T.One - labels * scores).Relu();
        return (m * m).Mean();
    }
}
