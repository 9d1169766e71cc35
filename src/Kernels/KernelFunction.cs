using System.Numerics;
using NativeFree.Kernels.IO;
using NativeFree.Tensors;
using NativeFree.Tensors.LinearAlgebra;

namespace NativeFree.Kernels;

/// <summary>Which infinite-width kernels to compute.</summary>
[Flags]
public enum KernelKinds
{
    /// <summary>The NNGP covariance (the Gaussian process of the network at initialisation).</summary>
    Nngp = 1,
    /// <summary>The neural tangent kernel (training dynamics under gradient descent).</summary>
    Ntk = 2,
    /// <summary>Both.</summary>
    Both = Nngp | Ntk,
}

/// <summary>Options for <see cref="KernelFunction"/>.</summary>
public sealed class KernelOptions
{
    /// <summary>Kernels to compute (default both).</summary>
    public KernelKinds Kinds { get; init; } = KernelKinds.Both;
    /// <summary>
    /// Bytes of working memory all tiles in flight may use (default 1 GiB). Tiles shrink to fit; the
    /// in-memory result itself is not counted — stream to .npy with <c>KernelFunction.ComputeToNpy</c> to bound it.
    /// </summary>
    public long MemoryBudgetBytes { get; init; } = 1L << 30;
    /// <summary>Threads (null: <see cref="Parallelism.MaxDegree"/>).</summary>
    public int? Threads { get; init; }
    /// <summary>Receives the completed fraction in [0, 1] after each tile.</summary>
    public IProgress<double>? Progress { get; init; }
    /// <summary>Cancels between tiles and between layers.</summary>
    public CancellationToken Cancellation { get; init; }
    /// <summary>
    /// Largest tile side (inputs per tile axis) for kernels without spatial axes; the fused CNN path allows 4× this
    /// (its tiles hold only the reduced kernel). Mainly for tests.
    /// </summary>
    public int MaxTile { get; init; } = 128;
    /// <summary>
    /// Disables the fused CNN path (<c>Internal.ConvStack</c>) so every layer runs its own transform: the
    /// reference the fused path is tested against.
    /// </summary>
    internal bool LayerByLayer { get; init; }
}

/// <summary>The kernel matrices of a network on (x1, x2), shape [n1, n2].</summary>
/// <typeparam name="T">Output precision (the computation itself is float64).</typeparam>
public sealed record KernelResult<T>(Tensor<T>? Nngp, Tensor<T>? Ntk) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// Computes the infinite-width NNGP and NTK of a network description on two sets of inputs, tile by tile:
/// each tile's input covariance is one GEMM (x1·x2ᵀ/C), then the whole layer stack runs on the tile while
/// it is in cache. Symmetric kernels (x2 omitted) compute the upper triangle of tiles only. The storage of
/// spatial covariances is chosen from the network: diagonal (Flatten) or full (pooling, the CNTK).
/// All arithmetic is float64; float32 output is rounded at the end, so float32 requests do not lose
/// accuracy in deep recursions.
/// </summary>
public static class KernelFunction
{
    /// <summary>
    /// Kernels of the network <paramref name="spec"/> describes (a Models spec: SPEC text, <see cref="Stax"/>, or the spec
    /// of a trained network) on x1 [n1, …] and x2 [n2, …] in the layout of its finite network: [N, d] vectors,
    /// [N, C, L] signals, [N, C, H, W] images (PyTorch's NCHW). For channels-last (neural-tangents) arrays use
    /// <c>Compute(KernelLayers.From(spec), x…)</c>.
    /// </summary>
    /// <exception cref="NotSupportedException">A layer of the spec has no infinite-width kernel (named).</exception>
    public static KernelResult<T> Compute<T>(Models.Spec.LayerSpec spec, Tensor<T> x1, Tensor<T>? x2 = null, KernelOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Compute(Spec.KernelLayers.From(spec), ChannelsLast(x1, nameof(x1)), x2 is null ? null : ChannelsLast(x2, nameof(x2)), options);

    /// <summary><see cref="ComputeToNpy{T}(ILayer, Tensor{T}, Tensor{T}?, string?, string?, bool, KernelOptions?)"/> for a Models spec on inputs in its finite network's layout (NCHW).</summary>
    public static (int N1, int N2) ComputeToNpy<T>(Models.Spec.LayerSpec spec, Tensor<T> x1, Tensor<T>? x2, string? nngpPath, string? ntkPath,
        bool float32 = false, KernelOptions? options = null) where T : unmanaged, IFloatingPointIeee754<T>
        => ComputeToNpy(Spec.KernelLayers.From(spec), ChannelsLast(x1, nameof(x1)), x2 is null ? null : ChannelsLast(x2, nameof(x2)), nngpPath, ntkPath, float32, options);

    /// <summary>
    /// A batch in the Models layout ([N, C, L] or [N, C, H, W]) as the channels-last batch the kernel transforms use
    /// ([N, L, C] or [N, H, W, C]); vectors [N, d] are returned as they are.
    /// </summary>
    public static Tensor<T> ChannelsLast<T>(Tensor<T> x, string name = "x") where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x, name);
        return x.Rank switch
        {
            2 => x,
            3 => x.Permute(0, 2, 1).Contiguous(),
            4 => x.Permute(0, 2, 3, 1).Contiguous(),
            _ => throw new ArgumentException($"{name} {ShapeUtil.Format(x.ShapeArray)}: inputs must be [N, d], [N, C, L] or [N, C, H, W].", name),
        };
    }

    /// <summary>The inverse of <see cref="ChannelsLast{T}"/>: channels-last [N, L, C] or [N, H, W, C] as [N, C, L] or [N, C, H, W].</summary>
    public static Tensor<T> ChannelsFirst<T>(Tensor<T> x, string name = "x") where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x, name);
        return x.Rank switch
        {
            2 => x,
            3 => x.Permute(0, 2, 1).Contiguous(),
            4 => x.Permute(0, 3, 1, 2).Contiguous(),
            _ => throw new ArgumentException($"{name} {ShapeUtil.Format(x.ShapeArray)}: inputs must be [N, d], [N, L, C] or [N, H, W, C].", name),
        };
    }

    /// <summary>Kernels of <paramref name="network"/> on x1 [n1, …] and x2 [n2, …] (x2 null: x1 with itself, symmetric).</summary>
    public static KernelResult<T> Compute<T>(ILayer network, Tensor<T> x1, Tensor<T>? x2 = null, KernelOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        options ??= new KernelOptions();
        var plan = Plan.Create(network, x1, x2, options);
        if (plan.Mode == SpatialMode.None && (typeof(T) == typeof(double) || typeof(T) == typeof(float))
            && Internal.FcReluKernel.TryCreate(network) is { } fused)
            return ComputeFused<T>(fused, plan, options);
        T[]? nngp = options.Kinds.HasFlag(KernelKinds.Nngp) ? new T[(long)plan.N1 * plan.N2 <= int.MaxValue ? plan.N1 * plan.N2 : throw new ArgumentException($"A {plan.N1}×{plan.N2} kernel does not fit one array; use ComputeToNpy.")] : null;
        T[]? ntk = options.Kinds.HasFlag(KernelKinds.Ntk) ? new T[plan.N1 * plan.N2] : null;
        int n2 = plan.N2;
        plan.Run((r0, c0, rows, cols, kn, kt) =>
        {
            Store(nngp, kn, r0, c0, rows, cols, n2, plan.Symmetric);
            Store(ntk, kt, r0, c0, rows, cols, n2, plan.Symmetric);
        });
        return new KernelResult<T>(nngp is null ? null : Tensor.FromArray(nngp, plan.N1, plan.N2), ntk is null ? null : Tensor.FromArray(ntk, plan.N1, plan.N2));
    }

    /// <summary>
    /// Deep fully connected ABReLU networks: every entry runs all layers in registers and is written once.
    /// The outputs are allocated uninitialised (the fused kernel writes every element), so no thread zero-fills
    /// 2·N² doubles first, and each page is first touched by the thread that computes it.
    /// </summary>
    private static KernelResult<T> ComputeFused<T>(Internal.FcReluKernel fused, Plan plan, KernelOptions options) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long size = (long)plan.N1 * plan.N2;
        if (size > Array.MaxLength) throw new ArgumentException($"A {plan.N1}×{plan.N2} kernel does not fit one array; use ComputeToNpy.");
        T[]? nngp = options.Kinds.HasFlag(KernelKinds.Nngp) ? GC.AllocateUninitializedArray<T>((int)size) : null;
        T[]? ntk = options.Kinds.HasFlag(KernelKinds.Ntk) ? GC.AllocateUninitializedArray<T>((int)size) : null;
        fused.Run(plan.X1, plan.N1, plan.X2, plan.N2, plan.Shape.Channels, plan.Symmetric, nngp, ntk, options);
        options.Cancellation.ThrowIfCancellationRequested();
        return new KernelResult<T>(nngp is null ? null : Tensor.FromArray(nngp, plan.N1, plan.N2), ntk is null ? null : Tensor.FromArray(ntk, plan.N1, plan.N2));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Store<T>(T[]? dst, double[]? block, int r0, int c0, int rows, int cols, int n2, bool mirror) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dst is null || block is null) return;
        for (int r = 0; r < rows; r++)
        {
            var d = dst.AsSpan((r0 + r) * n2 + c0, cols);
            for (int c = 0; c < cols; c++) d[c] = T.CreateTruncating(block[r * cols + c]);
        }
        if (!mirror || r0 == c0) return;
        // The transposed block: contiguous destination rows, strided reads from the cache-resident tile.
        for (int c = 0; c < cols; c++)
        {
            var d = dst.AsSpan((c0 + c) * n2 + r0, rows);
            for (int r = 0; r < rows; r++) d[r] = T.CreateTruncating(block[r * cols + c]);
        }
    }

    /// <summary>
    /// Streams the kernels into .npy files (float64 or float32) tile by tile, so the matrix may exceed memory:
    /// only the tiles in flight (bounded by <see cref="KernelOptions.MemoryBudgetBytes"/>) are held.
    /// Returns (n1, n2).
    /// </summary>
    public static (int N1, int N2) ComputeToNpy<T>(ILayer network, Tensor<T> x1, Tensor<T>? x2, string? nngpPath, string? ntkPath,
        bool float32 = false, KernelOptions? options = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (nngpPath is null && ntkPath is null) throw new ArgumentException("ComputeToNpy needs an output path for the NNGP, the NTK or both.");
        options ??= new KernelOptions();
        var kinds = (nngpPath is null ? 0 : KernelKinds.Nngp) | (ntkPath is null ? 0 : KernelKinds.Ntk);
        var opts = new KernelOptions
        {
            Kinds = kinds, MemoryBudgetBytes = options.MemoryBudgetBytes, Threads = options.Threads, Progress = options.Progress,
            Cancellation = options.Cancellation, MaxTile = options.MaxTile, LayerByLayer = options.LayerByLayer,
        };
        var plan = Plan.Create(network, x1, x2, opts);
        using var sn = nngpPath is null ? null : new KernelNpyStream(nngpPath, plan.N1, plan.N2, float32);
        using var st = ntkPath is null ? null : new KernelNpyStream(ntkPath, plan.N1, plan.N2, float32);
        plan.Run((r0, c0, rows, cols, kn, kt) =>
        {
            foreach (var (s, b) in new[] { (sn, kn), (st, kt) })
            {
                if (s is null || b is null) continue;
                s.WriteBlock(r0, c0, rows, cols, b);
                if (plan.Symmetric && r0 != c0) s.WriteBlock(c0, r0, cols, rows, b, transpose: true);
            }
        });
        return (plan.N1, plan.N2);
    }

    /// <summary>The kernel of one tile (all of x1 against all of x2), returned before any output conversion; for tests and tools.</summary>
    public static Kernel ComputeTile(ILayer network, Tensor<double> x1, Tensor<double>? x2, KernelKinds kinds = KernelKinds.Both)
    {
        var plan = Plan.Create(network, x1, x2, new KernelOptions { Kinds = kinds });
        return plan.Tile(0, plan.N1, 0, plan.N2);
    }

    private delegate void TileSink(int r0, int c0, int rows, int cols, double[]? nngp, double[]? ntk);

    private sealed class Plan
    {
        public required ILayer Network;
        public required double[] X1, X2;
        public required int N1, N2;
        public required FeatureShape Shape;
        public required bool Symmetric;
        public required SpatialMode Mode;
        public required bool CovFull;
        public required KernelOptions Options;
        /// <summary>The fused conv/ReLU path when the network has its shape (and it is not disabled).</summary>
        public Internal.ConvStack? Stack;
        private Internal.ConvStack.Trajectories? _traj1, _traj2;

        public static Plan Create<T>(ILayer network, Tensor<T> x1, Tensor<T>? x2, KernelOptions options) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ArgumentNullException.ThrowIfNull(network);
            ArgumentNullException.ThrowIfNull(x1);
            if (options.Kinds == 0) throw new ArgumentException("KernelOptions.Kinds selects no kernel.", nameof(options));
            if (options.MemoryBudgetBytes < 1 << 20) throw new ArgumentException($"Memory budget {options.MemoryBudgetBytes} bytes is below 1 MiB.", nameof(options));
            var shape = FeatureShape.FromBatchShape(x1.Shape);
            if (x2 is not null)
            {
                var s2 = FeatureShape.FromBatchShape(x2.Shape);
                if (!s2.Spatial.SequenceEqual(shape.Spatial) || s2.Channels != shape.Channels)
                    throw new ArgumentException($"x1 [{string.Join(", ", x1.ShapeArray)}] and x2 [{string.Join(", ", x2.ShapeArray)}] have different feature shapes.", nameof(x2));
            }
            if (x1.Dim(0) < 1 || (x2 is not null && x2.Dim(0) < 1)) throw new ArgumentException("Kernel inputs need at least one row.");
            // Validates feature sizes and nonlinearity placement before any work.
            var outShape = network.OutputShape(shape);
            var analysis = new LayerAnalysis();
            network.Analyze(analysis);
            var a1 = ToDouble(x1, "x1");
            var a2 = x2 is null ? a1 : ToDouble(x2, "x2");
            var mode = shape.Spatial.Length == 0 ? SpatialMode.None : analysis.NeedsFullSpatial ? SpatialMode.Full : SpatialMode.Diagonal;
            if (outShape.Spatial.Length != 0)
                throw new ArgumentException($"The network's output {outShape} still has spatial axes: end it with flatten or global_avg_pool (then dense) to get one kernel entry per pair of inputs.");
            bool covFull = mode == SpatialMode.Full && analysis.NeedsFullCov;
            return new Plan
            {
                Network = network, X1 = a1, X2 = a2, N1 = x1.Dim(0), N2 = x2?.Dim(0) ?? x1.Dim(0), Shape = shape, Symmetric = x2 is null,
                Mode = mode, CovFull = covFull, Options = options,
                Stack = options.LayerByLayer ? null : Internal.ConvStack.TryCreate(network, shape, mode, covFull),
            };
        }

        private static double[] ToDouble<T>(Tensor<T> x, string name) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var src = x.ToArray();
            // A double tensor's copy is already the plan's own array: check it in place (no second copy to page in).
            var d = typeof(T) == typeof(double) ? (double[])(object)src : new double[src.Length];
            for (int i = 0; i < src.Length; i++)
            {
                d[i] = double.CreateTruncating(src[i]);
                if (!double.IsFinite(d[i]))
                {
                    int row = i / Math.Max(1, src.Length / x.Dim(0));
                    throw new ArgumentException($"{name} [{string.Join(", ", x.ShapeArray)}] has a non-finite value ({d[i]}) in row {row}.", name);
                }
            }
            return d;
        }

        private int PairBytes()
        {
            int P = Shape.Positions;
            long per = Mode switch { SpatialMode.None => 1, SpatialMode.Diagonal => P, _ => (long)P * P };
            int kinds = Options.Kinds == KernelKinds.Both ? 2 : Options.Kinds.HasFlag(KernelKinds.Ntk) ? 2 : 1; // the NTK needs the NNGP too
            // Transforms allocate their output next to their input: count two copies.
            return (int)Math.Min(int.MaxValue, per * 8 * kinds * 2);
        }

        public (int Rows, int Cols) TileSize()
        {
            int threads = Parallelism.Resolve(Options.Threads);
            long perThread = Math.Max(1, Options.MemoryBudgetBytes / threads);
            long pair = PairBytes();
            int cap = Mode == SpatialMode.None ? Options.MaxTile : int.MaxValue;
            int t = (int)Math.Max(1, Math.Min(cap, Math.Sqrt((double)perThread / pair)));
            if (Mode == SpatialMode.None) t = Math.Min(t, Options.MaxTile);
            // Few big tiles would leave cores idle: keep at least ~4 tiles per thread when possible.
            int n = Math.Max(N1, N2);
            while (t > 8 && (long)((N1 + t - 1) / t) * ((N2 + t - 1) / t) < 4L * threads) t /= 2;
            if (Mode != SpatialMode.None && pair > perThread)
                throw new ArgumentException($"One pair of inputs needs {pair} bytes of kernel storage, above the per-thread budget {perThread} (budget {Options.MemoryBudgetBytes}, {threads} threads).");
            _ = n;
            return (Math.Min(t, N1), Math.Min(t, N2));
        }

        public void Run(TileSink sink)
        {
            if (Stack is not null) { RunStack(Stack, sink); return; }
            var (tr, tc) = TileSize();
            if (Symmetric) tc = tr;
            var tiles = new List<(int R0, int C0)>();
            for (int r0 = 0; r0 < N1; r0 += tr)
                for (int c0 = Symmetric ? r0 : 0; c0 < N2; c0 += tc) tiles.Add((r0, c0));
            int done = 0;
            var po = new ParallelOptions { MaxDegreeOfParallelism = Parallelism.Resolve(Options.Threads), CancellationToken = Options.Cancellation };
            try
            {
            Parallel.For(0, tiles.Count, po, ti =>
            {
                var (r0, c0) = tiles[ti];
                int rows = Math.Min(tr, N1 - r0), cols = Math.Min(tc, N2 - c0);
                var k = Tile(r0, rows, c0, cols);
                if (k.Mode != SpatialMode.None)
                    throw new InvalidOperationException("The network's output still has spatial axes: end it with flatten or global_avg_pool.");
                sink(r0, c0, rows, cols, Options.Kinds.HasFlag(KernelKinds.Nngp) ? k.Nngp : null, Options.Kinds.HasFlag(KernelKinds.Ntk) ? k.Ntk : null);
                Internal.TileBuffers.Return(k.Nngp);
                Internal.TileBuffers.Return(k.Ntk);
                int d = Interlocked.Increment(ref done);
                Options.Progress?.Report((double)d / tiles.Count);
            });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                // Report the first real failure (a misplaced layer, non-PD…) rather than the wrapper.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
            Options.Cancellation.ThrowIfCancellationRequested();
        }

        /// <summary>
        /// The fused CNN path: tiles one after another (the stack parallelises inside a tile: over pairs in
        /// diagonal mode, over output rows of one pair in full mode), each input's self-covariances computed once.
        /// </summary>
        private void RunStack(Internal.ConvStack stack, TileSink sink)
        {
            int threads = Parallelism.Resolve(Options.Threads);
            bool hasNtk = Options.Kinds.HasFlag(KernelKinds.Ntk);
            long fixedBytes = stack.FullPairBytes(hasNtk);
            if (fixedBytes > Options.MemoryBudgetBytes)
                throw new ArgumentException($"One pair of inputs needs {fixedBytes} bytes of kernel storage, above the budget {Options.MemoryBudgetBytes}.");
            // Tile results are rows×cols doubles per kernel, a few copies while the rest of the network runs.
            int t = (int)Math.Clamp(Math.Sqrt((Options.MemoryBudgetBytes - fixedBytes) / 64.0), 1, 4L * Options.MaxTile);
            int tr = Math.Min(t, N1), tc = Symmetric ? tr : Math.Min(t, N2);
            var tiles = new List<(int R0, int C0)>();
            for (int r0 = 0; r0 < N1; r0 += tr)
                for (int c0 = Symmetric ? r0 : 0; c0 < N2; c0 += tc) tiles.Add((r0, c0));
            for (int ti = 0; ti < tiles.Count; ti++)
            {
                Options.Cancellation.ThrowIfCancellationRequested();
                var (r0, c0) = tiles[ti];
                int rows = Math.Min(tr, N1 - r0), cols = Math.Min(tc, N2 - c0);
                var k = Tile(r0, rows, c0, cols);
                sink(r0, c0, rows, cols, Options.Kinds.HasFlag(KernelKinds.Nngp) ? k.Nngp : null, hasNtk ? k.Ntk : null);
                Options.Progress?.Report((double)(ti + 1) / tiles.Count);
            }
            // The plan's trajectory tables go back for the next call: megabytes a fresh array would page-fault in again.
            foreach (var table in new[] { _traj1, _traj2 })
                if (table is not null) { Internal.TileBuffers.Return(table.Sq); Internal.TileBuffers.Return(table.Inv); }
            _traj1 = _traj2 = null;
        }

        /// <summary>Self-covariance trajectories of rows [first, first + count) of x1 (or x2), cached for the whole plan when they fit.</summary>
        private Internal.ConvStack.Trajectories Trajectories(Internal.ConvStack stack, bool second, int first, int count, int threads)
        {
            var x = second ? X2 : X1;
            int n = second ? N2 : N1;
            ref var cache = ref second ? ref _traj2 : ref _traj1;
            if (cache is not null && cache.First <= first && first + count <= cache.First + cache.Count) return cache;
            long bytes = (long)n * stack.TrajectoryDoubles * 16;
            if (bytes <= Options.MemoryBudgetBytes / 4)
            {
                lock (this) cache ??= stack.SelfCovariances(x, 0, n, threads);
                return cache;
            }
            return stack.SelfCovariances(x, first, count, threads);
        }

        /// <summary>Input covariances of a tile (one GEMM per tile, or per position), then the layer stack.</summary>
        public Kernel Tile(int r0, int rows, int c0, int cols)
        {
            if (Stack is not null)
            {
                int threads = Parallelism.Resolve(Options.Threads);
                var t1 = Trajectories(Stack, false, r0, rows, threads);
                var t2 = Symmetric ? Trajectories(Stack, false, c0, cols, threads) : Trajectories(Stack, true, c0, cols, threads);
                return Stack.Tile(X1, r0, rows, t1, X2, c0, cols, t2, Symmetric && r0 == c0, Options.Kinds.HasFlag(KernelKinds.Ntk), threads, Options.Cancellation);
            }
            int C = Shape.Channels, P = Shape.Positions;
            int[] spatial = Shape.Spatial.Length switch { 0 => [], 1 => [1, Shape.Spatial[0]], _ => [Shape.Spatial[0], Shape.Spatial[1]] };
            int row = P * C;
            var a = X1.AsSpan(r0 * row, rows * row);
            var b = X2.AsSpan(c0 * row, cols * row);
            double inv = 1.0 / C;
            bool same = Symmetric && r0 == c0;
            int pairSize = Mode switch { SpatialMode.None => 1, SpatialMode.Diagonal => P, _ => P * P };
            var nngp = Internal.TileBuffers.Rent(rows * cols * pairSize);
            switch (Mode)
            {
                case SpatialMode.None:
                    Gemm.Multiply(false, true, rows, cols, C, inv, a, C, b, C, 0.0, nngp, cols, threads: 1); // tiles are already parallel
                    break;
                case SpatialMode.Diagonal:
                    for (int p = 0; p < P; p++)
                        Gemm.Multiply(rows, cols, C, inv, a.Slice(p * C), row, 1, b.Slice(p * C), 1, row, 0.0, nngp.AsSpan(p), cols * P, P, threads: 1);
                    break;
                default:
                    for (int i = 0; i < rows; i++)
                        for (int j = 0; j < cols; j++)
                            Gemm.Multiply(P, P, C, inv, a.Slice(i * row), C, 1, b.Slice(j * row), 1, C, 0.0, nngp.AsSpan((i * cols + j) * P * P, P * P), P, 1, threads: 1);
                    break;
            }
            var cov1 = SelfCov(a, rows);
            var cov2 = same ? (double[])cov1.Clone() : SelfCov(b, cols);
            var ntk = Options.Kinds.HasFlag(KernelKinds.Ntk) ? Internal.TileBuffers.Rent(nngp.Length) : null;
            var k = new Kernel(rows, cols, Mode, spatial, nngp, ntk, cov1, cov2, CovFull, C, same)
            {
                OneDimensional = Shape.Spatial.Length == 1,
                IsGaussian = false, // raw inputs are deterministic, not Gaussian
                Cancellation = Options.Cancellation,
            };
            return Network.Transform(k);

            double[] SelfCov(ReadOnlySpan<double> x, int n)
            {
                if (Mode == SpatialMode.Full && CovFull)
                {
                    var c = new double[n * P * P];
                    for (int i = 0; i < n; i++)
                        Gemm.Multiply(P, P, C, inv, x.Slice(i * row), C, 1, x.Slice(i * row), 1, C, 0.0, c.AsSpan(i * P * P, P * P), P, 1, threads: 1);
                    return c;
                }
                var d = new double[n * P];
                for (int i = 0; i < n * P; i++)
                {
                    var v = x.Slice(i * C, C);
                    d[i] = System.Numerics.Tensors.TensorPrimitives.Dot(v, v) * inv;
                }
                return d;
            }
        }
    }
}
