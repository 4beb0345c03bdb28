using System.Security.Cryptography;
using Distill.Shared.Data;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Cli;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Tests.Export;

namespace Distill.StudentTrainer.Tests.Data;

/// <summary>
/// The bundled corpus gives the same three token streams through the streamed, cached path as the in-memory loader
/// that preceded it: the counts and SHA-256 of the ids (int32 little endian) below were computed with that loader.
/// </summary>
public sealed class AustenTokenStreamTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("distill-austen-tokens-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    [Fact]
    public void Austen_streams_are_the_ones_the_in_memory_loader_gave()
    {
        LoadedTokenizer tokenizer = TokenizerLoader.Load(Path.Combine(RepoRoot.Path, "models", "austen-gpt"));
        var (train, validation, test) = CorpusTokens.Load(Path.Combine(RepoRoot.Path, "data", "austen"), tokenizer,
            new CorpusOptions(SplitFractions.Default, _cache));

        Assert.Equal("964008 78FBE514A67C47BC1869AFA44AAFC21343CA7C146F44AC383AA48349170D7B6B", Describe(train));
        Assert.Equal("48574 AEB5A0910323DB4F2BF87894DC15A16B60556872B6233522DAADEFEE92BC487C", Describe(validation));
        Assert.Equal("58317 61B0E7FD373A138BE1C35D1845FF7DD3DCD7E696D3ED1F0ABA1822D173919F54", Describe(test));
    }

    private static string Describe(TokenStream stream)
    {
        int[] ids = stream.Read(0, stream.Count);
        byte[] bytes = new byte[ids.Length * sizeof(int)];
        Buffer.BlockCopy(ids, 0, bytes, 0, bytes.Length);
        return $"{ids.Length} {Convert.ToHexString(SHA256.HashData(bytes))}";
    }
}
