using Distill.Shared.Tokenization;

namespace Distill.StudentTrainer.Teacher;

/// <summary>What a teacher must share with the student: the tokenizer (by fingerprint) and the number of logits.</summary>
/// <param name="Fingerprint">Lowercase hex SHA-256 of everything in the student's tokenizer that decides ids (<see cref="LoadedTokenizer.Fingerprint"/>).</param>
/// <param name="VocabSize">The student's vocabulary size (its logits' last dimension).</param>
public sealed record StudentVocabulary(string Fingerprint, int VocabSize)
{
    /// <summary>The vocabulary of a student that uses <paramref name="tokenizer"/> and has <paramref name="vocabSize"/> logits.</summary>
    public static StudentVocabulary Of(LoadedTokenizer tokenizer, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new StudentVocabulary(tokenizer.Fingerprint, vocabSize);
    }
}
