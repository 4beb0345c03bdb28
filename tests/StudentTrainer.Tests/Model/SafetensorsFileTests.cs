using System.Buffers.Binary;
using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

/// <summary>The safetensors writer on its own: layout, padding, metadata, and overwriting.</summary>
public class SafetensorsFileTests
{
    [Fact]
    public void Writing_over_a_longer_file_leaves_exactly_the_new_file()
    {
        using var temporary = new TemporaryFolder();
        string path = Path.Combine(temporary.Path, "x.safetensors");
        using Tensor large = randn(64, 64), small = randn(3, 5).to(ScalarType.BFloat16);
        SafetensorsFile.Write(path, [("large", large)]);
        SafetensorsFile.Write(path, [("small", small)]);

        byte[] bytes = File.ReadAllBytes(path);
        long header = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(8 + header + 3 * 5 * 2, bytes.Length);
        Assert.Equal(0, header % 8);
        var read = HuggingFaceFixtures.RawTensors(path);
        Assert.Equal(["small"], read.Keys);
        Assert.Equal("BF16", read["small"].Dtype);
        Assert.True(read["small"].Bytes.AsSpan().SequenceEqual(small.bytes));
    }

    [Fact]
    public void A_transposed_tensor_is_written_in_its_logical_row_major_order()
    {
        using var temporary = new TemporaryFolder();
        string path = Path.Combine(temporary.Path, "t.safetensors");
        using Tensor matrix = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using Tensor transposed = matrix.t();
        SafetensorsFile.Write(path, [("t", transposed)]);
        Dictionary<string, Tensor> read = SafetensorsFile.Read(path, ["t"]);
        Assert.Equal(new long[] { 3, 2 }, read["t"].shape);
        Assert.True(TinyModels.Same(transposed, read["t"]));
        read["t"].Dispose();
    }
}
