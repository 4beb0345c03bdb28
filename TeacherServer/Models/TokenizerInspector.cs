using Distill.Shared.Tokenization;
using Distill.TeacherServer.Onnx;

namespace Distill.TeacherServer.Models;

/// <summary>Describes a model folder's tokenizer, or returns null when it has none.</summary>
public static class TokenizerInspector
{
    /// <exception cref="IncompatibleModelException">The tokenizer files are malformed.</exception>
    public static TokenizerFacts? Describe(string folder)
    {
        try
        {
            var tokenizer = TokenizerLoader.Load(folder);
            return new TokenizerFacts(tokenizer.Kind, tokenizer.Fingerprint, tokenizer.EosId);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (InvalidDataException e)
        {
            throw new IncompatibleModelException($"The tokenizer is malformed: {e.Message}", e);
        }
    }
}
