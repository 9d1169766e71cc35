using NativeFree.Tensors.Sparse;
using Xunit;

namespace NativeFree.Tensors.Tests.Sparse;

public class SparseGeneratorsTests
{
    /// <summary>The 2-D/3-D Laplacians against a dense build from the grid's neighbour definition.</summary>
    [Theory]
    [InlineData(4, 3, 1)]
    [InlineData(1, 5, 1)]
    [InlineData(3, 3, 3)]
    [InlineData(2, 4, 3)]
    public void LaplaciansMatchTheGridDefinition(int nx, int ny, int nz)
    {
        var a = nz == 1 ? SparseGenerators.Laplacian2D<double>(nx, ny) : SparseGenerators.Laplacian3D<double>(nx, ny, nz);
        int n = nx * ny * nz;
        double diag = nz == 1 ? 4 : 6;
        var expect = new double[n, n];
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++)
                {
                    int i = x + nx * (y + ny * z);
                    expect[i, i] = diag;
                    foreach (var (dx, dy, dz) in new[] { (1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1) })
                    {
                        int x2 = x + dx, y2 = y + dy, z2 = z + dz;
                        if (x2 >= 0 && x2 < nx && y2 >= 0 && y2 < ny && z2 >= 0 && z2 < nz)
                            expect[i, x2 + nx * (y2 + ny * z2)] = -1;
                    }
                }
        Assert.True(a.HasSortedIndices && SparseTestData.RowsSorted(a));
        Assert.Equal(expect, SparseTestData.ToArray2(a));
    }

    [Fact]
    public void RmatHasGraph500Statistics()
    {
        var a = SparseGenerators.Rmat<double>(10, 16, seed: 7);
        Assert.Equal(1024, a.Rows);
        Assert.Equal(1024, a.Columns);
        // Multiplicities sum to the number of sampled edges.
        Assert.Equal(1024 * 16, a.Values.ToArray().Sum());
        // The lowest bit of (row, column) is (0,0) with probability a = 0.57, (1,1) with d = 0.05.
        double zz = 0, oo = 0;
        foreach (var (i, j, v) in a.Entries())
        {
            if ((i & 1) == 0 && (j & 1) == 0) zz += v;
            if ((i & 1) == 1 && (j & 1) == 1) oo += v;
        }
        Assert.InRange(zz / (1024 * 16), 0.55, 0.59);
        Assert.InRange(oo / (1024 * 16), 0.04, 0.06);
    }

    [Fact]
    public void ErdosRenyiDensityAndEdges()
    {
        Assert.Equal(0, SparseGenerators.ErdosRenyi<double>(30, 40, 0.0).Nnz);
        Assert.Equal(1200, SparseGenerators.ErdosRenyi<double>(30, 40, 1.0).Nnz);
        var a = SparseGenerators.ErdosRenyi<float>(300, 200, 0.05, seed: 9);
        // 60000 trials at p = 0.05: mean 3000, sd ≈ 53; ±5 sd.
        Assert.InRange(a.Nnz, 2733, 3267);
        Assert.True(a.HasSortedIndices && a.Values.ToArray().All(v => v == 1f));
        Assert.Throws<ArgumentException>(() => SparseGenerators.ErdosRenyi<double>(3, 3, 1.5));
        Assert.Throws<ArgumentException>(() => SparseGenerators.Rmat<double>(-1));
    }
}
