using NativeFree.Autograd;
using NativeFree.Tensors;

namespace NativeFree.Autograd.Tests;

/// <summary>
/// One gradient-check case per registered op: given a random shape and a random generator,
/// the inputs (values kept away from kinks, ties and singularities) and the function to check.
/// </summary>
internal static class OpCases
{
    public delegate (Tensor<double>[] Inputs, Func<Var<double>[], Var<double>> F) Case(int[] shape, Random rng);

    public static readonly Dictionary<string, Case> All = new()
    {
        // ---- elementwise binary (b takes a broadcast-compatible shape: fewer axes, or size-1 axes)
        ["add"] = (s, r) => ([U(r, s), U(r, Partner(s, r))], a => a[0] + a[1]),
        ["sub"] = (s, r) => ([U(r, s), U(r, Partner(s, r))], a => a[1] - a[0]),
        ["mul"] = (s, r) => ([U(r, s), U(r, Partner(s, r))], a => a[0] * a[1]),
        ["div"] = (s, r) => ([U(r, s), Away(r, Partner(s, r), 0.5)], a => a[0] / a[1]),
        ["pow"] = (s, r) => ([Pos(r, s), U(r, Partner(s, r), -1.5, 1.5)], a => Var<double>.Pow(a[0], a[1])),
        ["maximum"] = (s, r) => Separated(s, r, (x, y) => Var<double>.Maximum(x, y)),
        ["minimum"] = (s, r) => Separated(s, r, (x, y) => Var<double>.Minimum(x, y)),
        ["where"] = (s, r) => { var c = Coin(r, s); return ([U(r, s), U(r, Partner(s, r))], a => Var<double>.Where(c, a[0], a[1])); },
        // ---- elementwise unary
        ["neg"] = (s, r) => ([U(r, s)], a => -a[0]),
        ["exp"] = (s, r) => ([U(r, s)], a => a[0].Exp()),
        ["log"] = (s, r) => ([Pos(r, s)], a => a[0].Log()),
        ["log1p"] = (s, r) => ([U(r, s, -0.5, 1.5)], a => a[0].Log1p()),
        ["expm1"] = (s, r) => ([U(r, s)], a => a[0].Expm1()),
        ["sqrt"] = (s, r) => ([Pos(r, s)], a => a[0].Sqrt()),
        ["abs"] = (s, r) => ([Away(r, s, 0.2)], a => a[0].Abs()),
        ["tanh"] = (s, r) => ([U(r, s, -2, 2)], a => a[0].Tanh()),
        ["sigmoid"] = (s, r) => ([U(r, s, -3, 3)], a => a[0].Sigmoid()),
        ["relu"] = (s, r) => ([Away(r, s, 0.2)], a => a[0].Relu()),
        ["gelu"] = (s, r) => ([U(r, s, -2.5, 2.5)], a => a[0].Gelu()),
        ["softplus"] = (s, r) => ([U(r, s, -3, 3)], a => a[0].Softplus()),
        ["sin"] = (s, r) => ([U(r, s, -3, 3)], a => a[0].Sin()),
        ["cos"] = (s, r) => ([U(r, s, -3, 3)], a => a[0].Cos()),
        ["erf"] = (s, r) => ([U(r, s, -2, 2)], a => a[0].Erf()),
        ["pow_scalar"] = (s, r) => { double p = r.Next(2) == 0 ? 2.5 : -1.5; return ([Pos(r, s)], a => a[0].Pow(p)); },
        ["clamp"] = (s, r) => ([Avoiding(r, s, [-0.5, 0.5])], a => a[0].Clamp(-0.5, 0.5)),
        ["square"] = (s, r) => ([U(r, s)], a => a[0].Square()),
        ["rsqrt"] = (s, r) => ([Pos(r, s)], a => a[0].Rsqrt()),
        // ---- reductions over a random subset of axes, keepDim either way
        ["sum"] = (s, r) => { var (ax, k) = Axes(s, r); return ([U(r, s)], a => a[0].Sum(ax, k)); },
        ["mean"] = (s, r) => { var (ax, k) = Axes(s, r); return ([U(r, s)], a => a[0].Mean(ax, k)); },
        ["max"] = (s, r) => { var (ax, k) = Axes(s, r); return ([Distinct(r, s)], a => a[0].Max(ax, k)); },
        ["min"] = (s, r) => { var (ax, k) = Axes(s, r); return ([Distinct(r, s)], a => a[0].Min(ax, k)); },
        ["logsumexp"] = (s, r) => { var (ax, k) = Axes(s, r); return ([U(r, s, -2, 2)], a => a[0].LogSumExp(ax, k)); },
        ["var"] = (s, r) => { var (ax, k) = Axes(s, r); return ([U(r, s)], a => a[0].Variance(ax, k)); },
        ["norm"] = (s, r) => { var (ax, k) = Axes(s, r); double p = r.Next(2) == 0 ? 2 : 3; return ([Away(r, s, 0.2)], a => a[0].Norm(ax, k, p)); },
        ["softmax"] = (s, r) => { s = AtLeast1(s); int ax = r.Next(s.Length); return ([U(r, s, -2, 2)], a => a[0].Softmax(ax)); },
        ["log_softmax"] = (s, r) => { s = AtLeast1(s); int ax = r.Next(s.Length); return ([U(r, s, -2, 2)], a => a[0].LogSoftmax(ax)); },
        // ---- shape ops
        ["reshape"] = (s, r) => { var t = s.Reverse().ToArray(); return ([U(r, s)], a => a[0].Reshape(t) * Weights(t)); },
        ["permute"] = (s, r) => { var p = Enumerable.Range(0, s.Length).OrderBy(_ => r.Next()).ToArray(); return ([U(r, s)], a => a[0].Permute(p) * Weights(a[0].Value.Permute(p).ShapeArray)); },
        ["transpose"] = (s, r) => { s = AtLeast1(s); int i = r.Next(s.Length), j = r.Next(s.Length); return ([U(r, s)], a => { var y = a[0].Transpose(i, j); return y * Weights(y.Value.ShapeArray); }); },
        ["expand"] = (s, r) => ([U(r, Partner(s, r))], a => a[0].Expand(s) * Weights(s)),
        ["slice"] = (s, r) => { s = AtLeast1(s); var (ax, st, sp, step) = RandomSlice(s, r); return ([U(r, s)], a => { var y = a[0].Slice(ax, st, sp, step); return y * Weights(y.Value.ShapeArray); }); },
        ["embed_slice"] = (s, r) =>
        {
            // embed_slice is the adjoint of slice: check it as the gradient map v ↦ ∂(slice(x)·v)/∂x.
            s = AtLeast1(s);
            var (ax, st, sp, step) = RandomSlice(s, r);
            var x = U(r, s);
            var v = U(r, x.Slice(ax, st, sp, step).ShapeArray);
            return ([v], a => GradientOf(y => (y.Slice(ax, st, sp, step) * a[0]).Sum(), x) * Weights(s));
        },
        ["select"] = (s, r) => { s = AtLeast1(s); int ax = r.Next(s.Length), i = r.Next(s[ax]); return ([U(r, s)], a => { var y = a[0].Select(ax, i); return y * Weights(y.Value.ShapeArray); }); },
        ["concat"] = (s, r) =>
        {
            s = AtLeast1(s);
            int ax = r.Next(s.Length);
            var inputs = Enumerable.Range(0, 2 + r.Next(2)).Select(_ => { var t = (int[])s.Clone(); t[ax] = 1 + r.Next(3); return U(r, t); }).ToArray();
            return (inputs, a => { var y = Var<double>.Concat(a, ax); return y * Weights(y.Value.ShapeArray); });
        },
        ["stack"] = (s, r) => { int ax = r.Next(s.Length + 1); return ([U(r, s), U(r, s)], a => { var y = Var<double>.Stack(a, ax); return y * Weights(y.Value.ShapeArray); }); },
        ["pad"] = (s, r) =>
        {
            var before = s.Select(_ => r.Next(3)).ToArray();
            var after = s.Select(_ => r.Next(3)).ToArray();
            return ([U(r, s)], a => { var y = a[0].Pad(before, after, 0.5); return y * Weights(y.Value.ShapeArray); });
        },
        // ---- sparse × dense: random structure (empty rows/columns likely), gradients to values and x
        ["spmm"] = (s, r) =>
        {
            int rows = 1 + r.Next(4), cols = 1 + r.Next(4), k = s.Length > 0 ? s[^1] : 1;
            var coo = new NativeFree.Tensors.Sparse.CooBuilder<double>(rows, cols);
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                    if (r.NextDouble() < 0.5) coo.Add(i, j, 1);
            var structure = new SparseStructure<double>(coo.ToCsr());
            bool transposed = r.Next(2) == 0;
            var x = U(r, [transposed ? rows : cols, k]);
            return ([U(r, [structure.Nnz]), x], a =>
            {
                var y = transposed ? Var<double>.SpMMTransposed(structure, a[0], a[1]) : Var<double>.SpMM(structure, a[0], a[1]);
                return y * y;
            });
        },
        // ---- linear algebra: every matmul promotion and broadcast
        // op(a)·op(b) with transposes read through strides (the recorded backward of matmul).
        ["matmul_t"] = (s, r) =>
        {
            int m = 1 + r.Next(4), k = 1 + r.Next(4), n = 1 + r.Next(4);
            bool ta = r.Next(2) == 0, tb = ta ? r.Next(2) == 0 : true;
            var w = Weights([m, n]);
            return ([U(r, ta ? [k, m] : [m, k]), U(r, tb ? [n, k] : [k, n])], a => Var<double>.MatMulT(a[0], ta, a[1], tb) * w);
        },
        ["matmul"] = (s, r) =>
        {
            int m = 1 + r.Next(3), k = 1 + r.Next(3), n = 1 + r.Next(3), b = 1 + r.Next(3);
            var (sa, sb) = r.Next(7) switch
            {
                0 => (new[] { m, k }, new[] { k, n }),
                1 => (new[] { k }, new[] { k, n }),
                2 => (new[] { m, k }, new[] { k }),
                3 => (new[] { k }, new[] { k }),
                4 => (new[] { b, m, k }, new[] { k, n }),
                5 => (new[] { 2, 1, m, k }, new[] { b, k, n }),
                _ => (new[] { k }, new[] { b, k, n }),
            };
            return ([U(r, sa), U(r, sb)], a => { var y = Var<double>.MatMul(a[0], a[1]); return y * y; });
        },
        // ---- indexing
        ["gather"] = (s, r) => { s = AtLeast1(s); var (ax, idx, ish) = RandomIndex(s, r); return ([U(r, s)], a => a[0].Gather(ax, idx, ish) * Weights(ish)); },
        ["scatter_add"] = (s, r) =>
        {
            s = AtLeast1(s);
            var (ax, idx, ish) = RandomIndex(s, r);
            return ([U(r, s), U(r, ish)], a => Var<double>.ScatterAdd(a[0], ax, idx, ish, a[1]) * Weights(s));
        },
        ["index_select"] = (s, r) =>
        {
            s = AtLeast1(s);
            int ax = r.Next(s.Length);
            var idx = Enumerable.Range(0, 1 + r.Next(4)).Select(_ => r.Next(s[ax])).ToArray();
            return ([U(r, s)], a => { var y = a[0].IndexSelect(ax, idx); return y * Weights(y.Value.ShapeArray); });
        },
        ["index_add"] = (s, r) =>
        {
            s = AtLeast1(s);
            int ax = r.Next(s.Length);
            var idx = Enumerable.Range(0, 1 + r.Next(4)).Select(_ => r.Next(s[ax])).ToArray();
            var src = (int[])s.Clone(); src[ax] = idx.Length;
            return ([U(r, s), U(r, src)], a => Var<double>.IndexAdd(a[0], ax, idx, a[1]) * Weights(s));
        },
        // ---- patches, convolution, pooling, normalisation
        ["im2col"] = (s, r) => { var (x, win) = RandomWindowInput(r); return ([x], a => { var y = a[0].Im2Col(win); return y * Weights(y.Value.ShapeArray); }); },
        ["col2im"] = (s, r) =>
        {
            var (x, win) = RandomWindowInput(r);
            var cols = U(r, Tensor.Im2Col(x, win).ShapeArray);
            var shape = x.ShapeArray;
            return ([cols], a => a[0].Col2Im(shape, win) * Weights(shape));
        },
        ["conv2d"] = (s, r) =>
        {
            var (x, w, b, win, groups) = RandomConv(r);
            return ([x, w, b], a => NnLayers.Conv2d(a[0], a[1], a[2], win.StrideH, win.StrideW, win.PadH, win.PadW, win.DilationH, win.DilationW, groups).Square());
        },
        ["conv1d"] = (s, r) =>
        {
            var (x, w, b, win, groups) = RandomConv(r, height1: true);
            return ([x.Squeeze(2), w.Squeeze(2), b], a => NnLayers.Conv1d(a[0], a[1], a[2], win.StrideW, win.PadW, win.DilationW, groups).Square());
        },
        ["max_pool2d"] = (s, r) =>
        {
            var (x, win) = RandomWindowInput(r, poolPadding: true);
            var distinct = Distinct(r, x.ShapeArray);
            bool ceil = r.Next(2) == 0;
            return ([distinct], a => { var y = NnLayers.MaxPool2d(a[0], win.KernelH, win.KernelW, win.StrideH, win.StrideW, win.PadH, win.PadW, ceil); return y * Weights(y.Value.ShapeArray); });
        },
        ["avg_pool2d"] = (s, r) =>
        {
            var (x, win) = RandomWindowInput(r, poolPadding: true);
            bool ceil = r.Next(2) == 0, includePad = r.Next(2) == 0;
            return ([x], a => { var y = NnLayers.AvgPool2d(a[0], win.KernelH, win.KernelW, win.StrideH, win.StrideW, win.PadH, win.PadW, ceil, includePad); return y * Weights(y.Value.ShapeArray); });
        },
        ["max_pool1d"] = (s, r) =>
        {
            var (x, win) = RandomWindowInput(r, poolPadding: true);
            var distinct = Distinct(r, [x.Shape[0], x.Shape[1], x.Shape[3]]);
            bool ceil = r.Next(2) == 0;
            return ([distinct], a => { var y = NnLayers.MaxPool1d(a[0], win.KernelW, win.StrideW, win.PadW, ceil); return y * Weights(y.Value.ShapeArray); });
        },
        ["avg_pool1d"] = (s, r) =>
        {
            var (x, win) = RandomWindowInput(r, poolPadding: true);
            bool ceil = r.Next(2) == 0, includePad = r.Next(2) == 0;
            return ([x.Select(2, 0)], a => { var y = NnLayers.AvgPool1d(a[0], win.KernelW, win.StrideW, win.PadW, ceil, includePad); return y * Weights(y.Value.ShapeArray); });
        },
        ["layer_norm"] = (s, r) =>
        {
            s = AtLeast1(s);
            int k = 1 + r.Next(s.Length);
            var normShape = s[^k..];
            return ([U(r, s), U(r, normShape), U(r, normShape)], a => NnLayers.LayerNorm(a[0], k, a[1], a[2]) * Weights(s));
        },
        ["batch_norm"] = (s, r) =>
        {
            int[] shape = r.Next(2) == 0 ? [2 + r.Next(2), 1 + r.Next(3)] : [2, 1 + r.Next(2), 1 + r.Next(3)];
            int c = shape[1];
            return ([U(r, shape), U(r, [c]), U(r, [c])], a => NnLayers.BatchNorm(a[0], null, null, a[1], a[2]) * Weights(shape));
        },
        // ---- nn and losses
        ["embedding"] = (s, r) =>
        {
            int vocab = 1 + r.Next(4), dim = 1 + r.Next(3);
            var ids = Enumerable.Range(0, 1 + r.Next(5)).Select(_ => r.Next(vocab)).ToArray();
            return ([U(r, [vocab, dim])], a => { var y = Nn.Embedding(a[0], ids); return y * Weights(y.Value.ShapeArray); });
        },
        ["dropout"] = (s, r) => { int seed = r.Next(); return ([U(r, s)], a => Nn.Dropout(a[0], 0.3, seed) * Weights(s)); },
        ["mse_loss"] = (s, r) => ([U(r, s), U(r, Partner(s, r))], a => Nn.MseLoss(a[0], a[1])),
        ["cross_entropy"] = (s, r) =>
        {
            int n = 1 + r.Next(3), c = 1 + r.Next(4);
            var classes = Enumerable.Range(0, n).Select(_ => r.Next(c)).ToArray();
            double smoothing = r.Next(2) == 0 ? 0 : 0.1;
            return ([U(r, [n, c], -2, 2), Pos(r, [n, c])],
                a => Nn.CrossEntropy(a[0], classes, smoothing) + Nn.CrossEntropy(a[0], a[1], smoothing));
        },
        ["cross_entropy_index"] = (s, r) =>
        {
            int n = 1 + r.Next(4), c = 1 + r.Next(5);
            var (classes, weight, ignore) = CrossEntropyTargets(r, n, c);
            double smoothing = r.Next(2) == 0 ? 0 : 0.2;
            return ([U(r, [n, c], -3, 3)], a => Nn.CrossEntropy(a[0], classes, smoothing, weight, ignore));
        },
        // The recorded backward of cross_entropy_index: its gradient (logits scaled by a scalar weight w,
        // so the primitive's g input depends on a[1]) as a function of logits and w, weighted.
        ["cross_entropy_index_grad"] = (s, r) =>
        {
            int n = 1 + r.Next(4), c = 1 + r.Next(5);
            var (classes, weight, ignore) = CrossEntropyTargets(r, n, c);
            double smoothing = r.Next(2) == 0 ? 0 : 0.2;
            var w = Weights([n, c]);
            return ([U(r, [n, c], -3, 3), U(r, [1], 0.5, 2)], a =>
            {
                // d/dz at z = 0 of the loss at logits + z: the gradient at the logits, even when the
                // checker passes the inputs as constants (it evaluates values with recording off).
                bool record = GradMode.IsEnabled;
                using (GradMode.Set(true))
                {
                    var z = Var<double>.Parameter(Tensor.Zeros<double>([n, c]));
                    var loss = (Nn.CrossEntropy(a[0] + z, classes, smoothing, weight, ignore) * a[1]).Sum();
                    return Autodiff.Gradients(loss, [z], createGraph: record)[0]! * w;
                }
            });
        },
        ["dot"] = (s, r) => ([U(r, s), U(r, s)], a => Var<double>.Dot(a[0], a[1])),
        ["huber_loss"] = (s, r) =>
        {
            var p = U(r, s);
            var d = Avoiding(r, s, [-1.0, 1.0], 2.0);
            return ([p, Tensor.Sub(p, d)], a => Nn.HuberLoss(a[0], a[1], 1.0));
        },
        ["hinge_loss"] = (s, r) => Margin(s, r, (x, y) => Nn.HingeLoss(x, y)),
        ["squared_hinge_loss"] = (s, r) => Margin(s, r, (x, y) => Nn.SquaredHingeLoss(x, y)),
        ["multi_margin_loss"] = (s, r) =>
        {
            int n = 1 + r.Next(3), c = 1 + r.Next(4), p = 1 + r.Next(2);
            double margin = r.Next(2) == 0 ? 1 : 0.5;
            var (x, classes) = MultiMarginScores(r, n, c, margin);
            var weight = r.Next(2) == 0 ? null : U(r, [c], 0.5, 2);
            var reduction = (Reduction)r.Next(3);
            return ([x], a => { var y = Nn.MultiMarginLoss(a[0], classes, p, margin, weight, reduction); return y * Weights(y.Value.ShapeArray); });
        },
    };

    // ------------------------------------------------------------------ generators

    public static Tensor<double> U(Random r, int[] shape, double lo = -1, double hi = 1)
    {
        var t = Tensor.Zeros<double>(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = lo + (hi - lo) * r.NextDouble();
        return t;
    }

    private static Tensor<double> Pos(Random r, int[] shape) => U(r, shape, 0.5, 2);

    // |x| in [margin, 1.5], random sign: away from the kink at 0.
    private static Tensor<double> Away(Random r, int[] shape, double margin)
    {
        var t = U(r, shape, margin, 1.5);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) if (r.Next(2) == 0) s[i] = -s[i];
        return t;
    }

    // Values at least 0.1 away from each kink, within ±range.
    private static Tensor<double> Avoiding(Random r, int[] shape, double[] kinks, double range = 1.5)
    {
        var t = Tensor.Zeros<double>(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            double v;
            do v = -range + 2 * range * r.NextDouble(); while (kinks.Any(k => Math.Abs(v - k) < 0.1));
            s[i] = v;
        }
        return t;
    }

    // Distinct values (spaced 0.3 apart, shuffled) so max/min have no ties.
    private static Tensor<double> Distinct(Random r, int[] shape)
    {
        int n = ShapeUtil.ElementCount(shape);
        var values = Enumerable.Range(0, n).Select(i => i * 0.3 - n * 0.15 + 0.05 * r.NextDouble()).OrderBy(_ => r.Next()).ToArray();
        return Tensor.FromArray(values, shape);
    }

    private static Tensor<double> Coin(Random r, int[] shape)
    {
        var t = Tensor.Zeros<double>(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++) s[i] = r.Next(2);
        return t;
    }

    // Fixed, distinct weights so that shape ops whose outputs are summed cannot hide a permutation error.
    private static Var<double> Weights(int[] shape)
    {
        int n = ShapeUtil.ElementCount(shape);
        return Var<double>.Constant(Tensor.FromArray(Enumerable.Range(0, n).Select(i => 1 + 0.37 * i).ToArray(), shape));
    }

    private static int[] AtLeast1(int[] s) => s.Length == 0 ? [2] : s;

    // A shape that broadcasts to s: maybe fewer leading axes, maybe some axes of size 1.
    private static int[] Partner(int[] s, Random r)
    {
        int drop = r.Next(s.Length + 1);
        return s.Skip(drop).Select(d => r.Next(3) == 0 ? 1 : d).ToArray();
    }

    private static (int[]? Axes, bool KeepDim) Axes(int[] s, Random r)
    {
        bool keep = r.Next(2) == 0;
        if (s.Length == 0 || r.Next(4) == 0) return (null, keep);
        var axes = Enumerable.Range(0, s.Length).Where(_ => r.Next(2) == 0).Select(a => r.Next(2) == 0 ? a : a - s.Length).ToArray();
        return (axes.Length == 0 ? [0] : axes, keep);
    }

    private static (int Axis, int Start, int Stop, int Step) RandomSlice(int[] s, Random r)
    {
        int ax = r.Next(s.Length), n = s[ax];
        int step = r.Next(3) switch { 0 => 1, 1 => 2, _ => -1 };
        // Non-empty slices only: a zero-size view trips Tensor's contiguity check (see report).
        while (true)
        {
            int start = r.Next(-n, n), stop = r.Next(-n - 1, n + 1);
            if (Tensor.Zeros<double>(n).Slice(0, start, stop, step).Length > 0) return (ax, start, stop, step);
        }
    }

    private static (int Axis, int[] Index, int[] IndexShape) RandomIndex(int[] s, Random r)
    {
        int ax = r.Next(s.Length);
        var ish = (int[])s.Clone();
        ish[ax] = 1 + r.Next(3);
        var idx = new int[ShapeUtil.ElementCount(ish)];
        for (int i = 0; i < idx.Length; i++) idx[i] = r.Next(s[ax]);
        return (ax, idx, ish);
    }

    private static (Tensor<double>[], Func<Var<double>[], Var<double>>) Separated(int[] s, Random r, Func<Var<double>, Var<double>, Var<double>> op)
    {
        var bShape = Partner(s, r);
        var b = U(r, bShape);
        var a = Tensor.Add(b.Expand(s), Away(r, s, 0.2));
        return ([a, b], v => op(v[0], v[1]));
    }

    // Scores s with labels y = ±1 such that the margin 1 − y·s stays away from 0.
    private static (Tensor<double>[], Func<Var<double>[], Var<double>>) Margin(int[] s, Random r, Func<Var<double>, Var<double>, Var<double>> loss)
    {
        var y = Tensor.Add(Tensor.Mul(Coin(r, s), 2.0), -1.0);
        var m = Away(r, s, 0.2);
        var scores = Tensor.Mul(y, Tensor.Add(Tensor.Neg(m), 1.0)); // y·s = 1 − m
        return ([scores], v => loss(v[0], Var<double>.Constant(y)));
    }

    // An [N, C, H, W] input and a window that fits it (pooling: padding at most half the kernel, as PyTorch requires).
    private static (Tensor<double> X, Window2d Window) RandomWindowInput(Random r, bool poolPadding = false)
    {
        while (true)
        {
            int kh = 1 + r.Next(3), kw = 1 + r.Next(3);
            int ph = poolPadding ? r.Next(kh / 2 + 1) : r.Next(2), pw = poolPadding ? r.Next(kw / 2 + 1) : r.Next(2);
            int dh = poolPadding ? 1 : 1 + r.Next(2), dw = poolPadding ? 1 : 1 + r.Next(2);
            var win = new Window2d(kh, kw, 1 + r.Next(2), 1 + r.Next(2), ph, pw, dh, dw);
            int h = 2 + r.Next(4), w = 2 + r.Next(4);
            // Pooling checks the window against torch's rule (Window2d.OutH rounds a negative span up to 1 for stride ≥ 2).
            bool fits = poolPadding
                ? NnLayers.PoolOutputLength(h, kh, win.StrideH, ph, false) >= 1 && NnLayers.PoolOutputLength(w, kw, win.StrideW, pw, false) >= 1
                : win.OutH(h) >= 1 && win.OutW(w) >= 1;
            if (fits) return (U(r, [1 + r.Next(2), 1 + r.Next(2), h, w]), win);
        }
    }

    private static (Tensor<double> X, Tensor<double> W, Tensor<double> B, Window2d Window, int Groups) RandomConv(Random r, bool height1 = false)
    {
        while (true)
        {
            int groups = 1 + r.Next(2), cin = groups * (1 + r.Next(2)), cout = groups * (1 + r.Next(2));
            int kh = height1 ? 1 : 1 + r.Next(3), kw = 1 + r.Next(3);
            var win = new Window2d(kh, kw, height1 ? 1 : 1 + r.Next(2), 1 + r.Next(2), height1 ? 0 : r.Next(2), r.Next(2), height1 ? 1 : 1 + r.Next(2), 1 + r.Next(2));
            int h = height1 ? 1 : 2 + r.Next(3), w = 2 + r.Next(4);
            if (win.OutH(h) < 1 || win.OutW(w) < 1) continue;
            return (U(r, [1 + r.Next(2), cin, h, w]), U(r, [cout, cin / groups, kh, kw]), U(r, [cout]), win, groups);
        }
    }

    // Scores [n, c] and classes with every hinge argument margin − x[y] + x[j] (j ≠ y) at least 0.2 from its kink.
    public static (Tensor<double> X, int[] Classes) MultiMarginScores(Random r, int n, int c, double margin)
    {
        var classes = Enumerable.Range(0, n).Select(_ => r.Next(c)).ToArray();
        var x = U(r, [n, c]);
        var z = Away(r, [n, c], 0.2);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < c; j++)
                if (j != classes[i]) x[i, j] = z[i, j] - margin + x[i, classes[i]];
        return (x, classes);
    }

    // Targets for cross-entropy: maybe class weights in [0.5, 2], maybe an ignore index (−1, or a real class)
    // with some rows set to it; at least one row is kept, so the mean is finite.
    private static (int[] Classes, Tensor<double>? Weight, int Ignore) CrossEntropyTargets(Random r, int n, int c)
    {
        var classes = Enumerable.Range(0, n).Select(_ => r.Next(c)).ToArray();
        var weight = r.Next(2) == 0 ? null : U(r, [c], 0.5, 2);
        int ignore = r.Next(3) switch { 0 => -100, 1 => -1, _ => r.Next(c) };
        for (int i = 1; i < n; i++) if (r.Next(3) == 0) classes[i] = ignore;
        if (c == 1 && ignore == 0) ignore = -1;           // the only class cannot be ignored and kept
        if (classes[0] == ignore) classes[0] = ignore == 0 ? 1 : 0;
        return (classes, weight, ignore);
    }

    // ∂f/∂x as a differentiable var (recording forced on: GradCheck's numeric pass runs without it).
    private static Var<double> GradientOf(Func<Var<double>, Var<double>> f, Tensor<double> x)
    {
        using var on = GradMode.Set(true);
        var leaf = Var<double>.Parameter(x);
        return Autodiff.Gradients(f(leaf), [leaf], createGraph: true)[0]!;
    }
}
