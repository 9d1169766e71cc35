namespace NativeFree.Kernels;

/// <summary>How the spatial axes of a convolutional kernel are stored.</summary>
public enum SpatialMode
{
    /// <summary>No spatial axes: one number per pair of inputs.</summary>
    None,
    /// <summary>Only same-position covariances Σ(p,p): enough when the network ends in Flatten (cost ∝ P).</summary>
    Diagonal,
    /// <summary>Every position pair Σ(p,q): needed by AvgPool and GlobalAvgPool, the CNTK (cost ∝ P²).</summary>
    Full,
}

/// <summary>
/// The state a kernel transform acts on, for one tile of inputs (rows of x1 against rows of x2):
/// the NNGP covariance, the NTK, the self-covariances of each input with itself, and the facts a
/// layer needs to know (Gaussian pre-activations? channel count? spatial layout?).
/// Layers update it in place, like neural-tangents' <c>Kernel</c> dataclass.
/// </summary>
/// <remarks>
/// Layouts (row-major): with <see cref="SpatialMode.None"/> <see cref="Nngp"/> is [n1, n2];
/// <see cref="SpatialMode.Diagonal"/> [n1, n2, P]; <see cref="SpatialMode.Full"/> [n1, n2, P, P], P the
/// number of spatial positions. <see cref="Cov1"/> is [n1], [n1, P] or, when <see cref="CovFull"/>,
/// [n1, P, P]. All values are float64, whatever the output precision.
/// </remarks>
public sealed class Kernel
{
    /// <summary>Rows (inputs of x1) in this tile.</summary>
    public int N1 { get; }
    /// <summary>Columns (inputs of x2) in this tile.</summary>
    public int N2 { get; }
    /// <summary>Spatial storage mode.</summary>
    public SpatialMode Mode { get; internal set; }
    /// <summary>Height and width of the current feature map (1-D inputs have height 1); empty without spatial axes.</summary>
    public int[] Spatial { get; internal set; }
    /// <summary>True when 1-D spatial inputs were lifted to height 1 (only affects error messages).</summary>
    internal bool OneDimensional { get; set; }
    /// <summary>Number of spatial positions P (1 without spatial axes).</summary>
    public int Positions => Spatial.Length == 0 ? 1 : Spatial[0] * Spatial[1];
    /// <summary>NNGP covariance E[f(x1) f(x2)] per channel.</summary>
    public double[] Nngp { get; internal set; }
    /// <summary>NTK, or null when only the NNGP is wanted.</summary>
    public double[]? Ntk { get; internal set; }
    /// <summary>Self-covariances of the x1 inputs (diagonal, or full spatial when <see cref="CovFull"/>).</summary>
    public double[] Cov1 { get; internal set; }
    /// <summary>Self-covariances of the x2 inputs.</summary>
    public double[] Cov2 { get; internal set; }
    /// <summary>Whether Cov1/Cov2 hold all position pairs (needed when AvgPool/GlobalAvgPool feed a nonlinearity).</summary>
    public bool CovFull { get; internal set; }
    /// <summary>True when the pre-activations are jointly Gaussian (after Dense/Conv), as closed forms require.</summary>
    public bool IsGaussian { get; internal set; }
    /// <summary>Finite channel count of the current layer (needed by the 'standard' parametrization and by FanInConcat).</summary>
    public int Channels { get; internal set; }
    /// <summary>True when row i and column i of this tile are the same input (a diagonal tile of a symmetric kernel).</summary>
    public bool SameInputs { get; internal set; }
    /// <summary>True when the self-covariances were pooled without being tracked in full (nothing later may read them).</summary>
    internal bool CovStale { get; set; }
    /// <summary>Cancellation checked between layers.</summary>
    public CancellationToken Cancellation { get; internal set; }

    internal Kernel(int n1, int n2, SpatialMode mode, int[] spatial, double[] nngp, double[]? ntk, double[] cov1, double[] cov2,
        bool covFull, int channels, bool sameInputs)
    {
        N1 = n1; N2 = n2; Mode = mode; Spatial = spatial; Nngp = nngp; Ntk = ntk; Cov1 = cov1; Cov2 = cov2;
        CovFull = covFull; Channels = channels; SameInputs = sameInputs; IsGaussian = true;
    }

    /// <summary>Entries per (x1, x2) pair in <see cref="Nngp"/>: 1, P or P².</summary>
    public int PairSize => Mode switch { SpatialMode.None => 1, SpatialMode.Diagonal => Positions, _ => Positions * Positions };

    /// <summary>Entries per input in <see cref="Cov1"/>.</summary>
    public int CovSize => Mode == SpatialMode.None ? 1 : CovFull ? Positions * Positions : Positions;

    internal void EnsureCovariances(string layer)
    {
        if (CovStale)
            throw new InvalidOperationException($"{layer}: the self-covariances after spatial pooling were not tracked (internal analysis error).");
    }

    /// <summary>A deep copy (branches of a parallel block each transform their own copy).</summary>
    public Kernel Clone() => new(N1, N2, Mode, (int[])Spatial.Clone(), (double[])Nngp.Clone(), (double[]?)Ntk?.Clone(),
        (double[])Cov1.Clone(), (double[])Cov2.Clone(), CovFull, Channels, SameInputs)
    { IsGaussian = IsGaussian, OneDimensional = OneDimensional, Cancellation = Cancellation, CovStale = CovStale };
}
