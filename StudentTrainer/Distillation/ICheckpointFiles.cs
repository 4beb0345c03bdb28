namespace Distill.StudentTrainer.Distillation;

/// <summary>
/// The file-system steps by which <see cref="TrainingCheckpoint"/> makes a checkpoint durable and puts it in place;
/// <see cref="DurableCheckpointFiles"/> does them, another implementation can watch or fail them.
/// </summary>
public interface ICheckpointFiles
{
    /// <summary>Flushes a file, or a folder's entries, to the disk.</summary>
    void Flush(string path);

    /// <summary>Renames <paramref name="folder"/> to <paramref name="destination"/>, which does not exist.</summary>
    void Move(string folder, string destination);

    /// <summary>Swaps two existing folders in one atomic step.</summary>
    void Exchange(string folder, string other);

    /// <summary>Replaces the file <paramref name="path"/> atomically and durably.</summary>
    void Replace(string path, byte[] contents);

    /// <summary>Deletes <paramref name="folder"/> and everything in it.</summary>
    void Delete(string folder);
}
