using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Distill.Shared.Data;
using Distill.Shared.Tokenization;

namespace Distill.StudentTrainer.Data;

/// <summary>
/// Token files of corpora, one folder per (corpus files, tokenizer, split fractions): its name is a SHA-256 of each
/// file's full path, length and last-write time, the tokenizer's fingerprint, the fractions and the piece size, so a changed file or
/// tokenizer tokenizes afresh. A folder is written under a temporary name and renamed when complete; folders whose
/// corpus files are gone are removed when a new one is written.
/// </summary>
public static class CorpusTokenCache
{
    private const string SourceFile = "corpus.json";

    /// <summary><c>runs/token-cache</c> under the working directory, beside the runs that use it (ignored by git).</summary>
    public static string DefaultFolder => Path.Combine("runs", "token-cache");

    /// <summary>The name of the cache folder of <paramref name="corpus"/> tokenized by <paramref name="tokenizer"/>.</summary>
    public static string Key(CorpusReader corpus, LoadedTokenizer tokenizer)
    {
        var identity = new StringBuilder($"distill-tokens {TokenFile.Version} pieces {corpus.PieceCharacters}\n{tokenizer.Fingerprint}\n");
        identity.Append(CultureInfo.InvariantCulture, $"{corpus.Fractions.Validation:R} {corpus.Fractions.Test:R}\n");
        foreach (string file in corpus.Files)
        {
            var info = new FileInfo(file);
            identity.Append(CultureInfo.InvariantCulture, $"{info.FullName}\0{info.Length}\0{info.LastWriteTimeUtc.Ticks}\n");
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity.ToString())))[..32];
    }

    /// <summary>The three token streams of <paramref name="corpus"/>, tokenized now or read from <paramref name="cacheFolder"/>.</summary>
    /// <exception cref="InvalidDataException">A split would hold fewer than 2 tokens.</exception>
    public static (TokenStream Train, TokenStream Validation, TokenStream Test) Load(CorpusReader corpus, LoadedTokenizer tokenizer, int separator, string cacheFolder)
    {
        string folder = Path.Combine(cacheFolder, Key(corpus, tokenizer));
        if (!File.Exists(Path.Combine(folder, SourceFile))) Build(corpus, tokenizer, separator, cacheFolder, folder);
        TokenStream Open(CorpusSplit split) => TokenFile.Open(Path.Combine(folder, CorpusTokenizer.FileName(split)));
        return (Open(CorpusSplit.Train), Open(CorpusSplit.Validation), Open(CorpusSplit.Test));
    }

    private static void Build(CorpusReader corpus, LoadedTokenizer tokenizer, int separator, string cacheFolder, string folder)
    {
        Directory.CreateDirectory(cacheFolder);
        RemoveOrphans(cacheFolder);
        string partial = $"{folder}.partial-{Guid.NewGuid():N}";
        Directory.CreateDirectory(partial);
        try
        {
            IReadOnlyDictionary<CorpusSplit, long> counts = CorpusTokenizer.Write(corpus, tokenizer, separator, partial);
            foreach ((CorpusSplit split, long count) in counts)
                if (count < 2)
                    throw new InvalidDataException($"the {split.ToString().ToLowerInvariant()} split of corpus '{corpus.Path}' is empty "
                                                   + $"({corpus.Documents} documents besides books): give more text or raise --validation-fraction / --test-fraction");
            File.WriteAllText(Path.Combine(partial, SourceFile), JsonSerializer.Serialize(new
            {
                corpus = Path.GetFullPath(corpus.Path),
                files = corpus.Files.Select(Path.GetFullPath).ToArray(),
                tokenizer = tokenizer.Fingerprint,
                validationFraction = corpus.Fractions.Validation,
                testFraction = corpus.Fractions.Test,
                documentsCut = corpus.CutsDocuments,
                tokens = counts.ToDictionary(c => c.Key.ToString().ToLowerInvariant(), c => c.Value),
            }, new JsonSerializerOptions { WriteIndented = true }));
            Directory.Move(partial, folder);
        }
        catch (IOException) when (File.Exists(Path.Combine(folder, SourceFile)))
        {
            // Another process wrote the same folder first; its files are the same.
            Directory.Delete(partial, recursive: true);
        }
        catch
        {
            Directory.Delete(partial, recursive: true);
            throw;
        }
    }

    private static void RemoveOrphans(string cacheFolder)
    {
        foreach (string entry in Directory.GetDirectories(cacheFolder))
        {
            try
            {
                using JsonDocument source = JsonDocument.Parse(File.ReadAllText(Path.Combine(entry, SourceFile)));
                if (source.RootElement.GetProperty("files").EnumerateArray().All(f => File.Exists(f.GetString())))
                    continue;
                Directory.Delete(entry, recursive: true);
            }
            catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Being written by another process, or not ours: left alone.
            }
        }
    }
}
