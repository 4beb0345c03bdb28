using System.Security.Cryptography;

namespace Distill.TeacherServer.Models;

/// <summary>Describes a model folder's tokenizer, or returns null when it has none.</summary>
public static class TokenizerInspector
{
    public static TokenizerFacts? Describe(string folder)
    {
        string[] files = File.Exists(Path.Combine(folder, "tokenizer.json")) ? ["tokenizer.json"]
            : File.Exists(Path.Combine(folder, "vocab.json")) && File.Exists(Path.Combine(folder, "merges.txt")) ? ["vocab.json", "merges.txt"]
            : [];
        if (files.Length == 0)
        {
            return null;
        }
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            sha.AppendData(File.ReadAllBytes(Path.Combine(folder, file)));
        }
        return new TokenizerFacts(files[0] == "tokenizer.json" ? "tokenizer.json" : "bpe", Convert.ToHexStringLower(sha.GetHashAndReset())[..16], null);
    }
}
