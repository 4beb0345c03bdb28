using Distill.StudentTrainer.Data;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Data;

/// <summary>Token files: written and read back at either width, and read as a stream exactly as the array they hold.</summary>
public sealed class TokenFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("distill-token-file-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(int width, int[] ids)
    {
        string path = Path.Combine(_folder, $"ids-{width}-{Guid.NewGuid():N}.tokens");
        using var writer = new TokenFileWriter(path, width);
        writer.Write(ids);
        return path;
    }

    [Theory]
    [InlineData(2, 65_535)]
    [InlineData(4, 1_000_000)]
    public void Ids_read_back_as_written(int width, int largest)
    {
        int[] ids = [0, 7, largest, 3, largest - 1, 1];
        string path = Write(width, ids);

        TokenStream stream = TokenFile.Open(path);

        Assert.Equal(ids.Length, stream.Count);
        Assert.Equal(ids, stream.Read(0, ids.Length));
        Assert.Equal(ids[2..5], stream.Read(2, 3));
        Assert.Equal(TokenFile.HeaderLength + ids.Length * width, new FileInfo(path).Length);
    }

    [Fact]
    public void A_mapped_stream_gives_the_batches_of_the_array_it_holds()
    {
        int[] ids = Enumerable.Range(0, 500).Select(i => i * 37 % 1000).ToArray();
        var inMemory = new TokenStream(ids);
        TokenStream mapped = TokenFile.Open(Write(2, ids));

        (Tensor x1, Tensor y1) = inMemory.RandomBatch(new Random(4), batch: 3, length: 16);
        (Tensor x2, Tensor y2) = mapped.RandomBatch(new Random(4), batch: 3, length: 16);
        Assert.Equal(x1.data<long>().ToArray(), x2.data<long>().ToArray());
        Assert.Equal(y1.data<long>().ToArray(), y2.data<long>().ToArray());
        Assert.Equal(inMemory.SequentialBatches(4, 32).Select(b => b.Targets.data<long>().ToArray()).SelectMany(t => t),
                     mapped.SequentialBatches(4, 32).Select(b => b.Targets.data<long>().ToArray()).SelectMany(t => t));
    }

    [Fact]
    public void Widths_for_vocabularies_and_ids_that_do_not_fit()
    {
        Assert.Equal(2, TokenFile.WidthFor(65_536));
        Assert.Equal(4, TokenFile.WidthFor(65_537));
        using var writer = new TokenFileWriter(Path.Combine(_folder, "narrow.tokens"), 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(65_536));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(-1));
    }

    [Fact]
    public void A_file_of_another_kind_is_refused()
    {
        string path = Path.Combine(_folder, "other.tokens");
        File.WriteAllText(path, "not a token file, just text long enough");
        Assert.Contains("is not a token file", Assert.Throws<InvalidDataException>(() => TokenFile.Open(path)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenFile.Open(Write(2, [1, 2, 3])).Read(2, 2));
    }
}
