using System.Buffers.Binary;
using System.Text;

namespace MlNetCnn.Native;

/// <summary>
/// Marks symbol-version requirements of an ELF64 shared library as weak, where every symbol that needs the
/// version is a link-time marker that nothing calls.
/// </summary>
/// <remarks>
/// GCC 13 links every C++ library against <c>_ZSt21ios_base_library_initv@GLIBCXX_3.4.32</c>, a marker that makes
/// the library initialise iostreams; it has no relocation. Older libstdc++ (Debian 12 stops at 3.4.30) then refuses
/// the whole library. A weak version requirement (<c>VER_FLG_WEAK</c>) lets the dynamic loader accept a libstdc++ that
/// lacks it. Only the copy is changed; no other byte moves.
/// </remarks>
internal static class ElfVersionPatcher
{
    /// <summary>Symbols known to be link markers: they need a version, but no code refers to them.</summary>
    internal static readonly IReadOnlySet<string> LinkMarkers = new HashSet<string>(StringComparer.Ordinal)
    {
        "_ZSt21ios_base_library_initv",
    };

    private const ushort VerFlagWeak = 0x2;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const int SectionHeaderSize = 64;
    private const int SymbolSize = 24;
    private const ushort VersionIndexMask = 0x7fff;

    /// <summary>
    /// Sets the weak flag on each version requirement whose every symbol is a link marker, in place.
    /// Returns the names of the versions it weakened (empty when there were none).
    /// </summary>
    public static IReadOnlyList<string> WeakenMarkerOnlyVersions(byte[] elf)
    {
        ArgumentNullException.ThrowIfNull(elf);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("Not an ELF file.");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("Only 64-bit little-endian ELF files are supported.");

        var sections = ReadSections(elf);
        var verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
        var versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        var dynsym = sections.FirstOrDefault(s => s.Type == ShtDynsym);
        if (verneed is null || versym is null || dynsym is null)
            return Array.Empty<string>();

        var symbolsByVersion = SymbolsByVersionIndex(elf, dynsym, versym, sections[(int)dynsym.Link]);
        var strings = sections[(int)verneed.Link];
        var weakened = new List<string>();
        foreach (var aux in VersionRequirements(elf, verneed))
        {
            var name = ReadString(elf, strings, U32(elf, aux + 8));
            var index = U16(elf, aux + 6);
            if (!symbolsByVersion.TryGetValue(index, out var symbols) || !symbols.All(LinkMarkers.Contains))
                continue;
            var flags = U16(elf, aux + 4);
            if ((flags & VerFlagWeak) != 0)
                continue;
            BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(aux + 4), (ushort)(flags | VerFlagWeak));
            weakened.Add(name);
        }
        return weakened;
    }

    private sealed record Section(uint Type, long Offset, long Size, uint Link);

    private static List<Section> ReadSections(byte[] elf)
    {
        var offset = checked((int)U64(elf, 0x28));
        var entrySize = U16(elf, 0x3A);
        var count = U16(elf, 0x3C);
        if (entrySize != SectionHeaderSize || offset <= 0 || (long)offset + (long)count * entrySize > elf.Length)
            throw new InvalidDataException("The ELF section header table is missing or damaged.");
        var sections = new List<Section>(count);
        for (var i = 0; i < count; i++)
        {
            var at = offset + i * entrySize;
            var section = new Section(U32(elf, at + 4), (long)U64(elf, at + 24), (long)U64(elf, at + 32), U32(elf, at + 40));
            if (section.Offset < 0 || section.Offset + section.Size > elf.Length)
                throw new InvalidDataException($"ELF section {i} lies outside the file.");
            sections.Add(section);
        }
        return sections;
    }

    /// <summary>Offsets of every Vernaux entry, across all Verneed records.</summary>
    private static IEnumerable<int> VersionRequirements(byte[] elf, Section verneed)
    {
        var need = (int)verneed.Offset;
        var end = verneed.Offset + verneed.Size;
        while (true)
        {
            var auxCount = U16(elf, need + 2);
            var aux = need + (int)U32(elf, need + 8);
            for (var i = 0; i < auxCount; i++)
            {
                if (aux < verneed.Offset || aux + 16 > end)
                    throw new InvalidDataException("An ELF version requirement lies outside its section.");
                yield return aux;
                aux += (int)U32(elf, aux + 12);
            }
            var next = U32(elf, need + 12);
            if (next == 0)
                yield break;
            need += (int)next;
            if (need + 16 > end)
                throw new InvalidDataException("An ELF version record lies outside its section.");
        }
    }

    private static Dictionary<ushort, List<string>> SymbolsByVersionIndex(byte[] elf, Section dynsym, Section versym, Section strings)
    {
        var result = new Dictionary<ushort, List<string>>();
        var count = dynsym.Size / SymbolSize;
        if (versym.Size < count * 2)
            throw new InvalidDataException("The ELF symbol version table is shorter than the symbol table.");
        for (var i = 0; i < count; i++)
        {
            var index = (ushort)(U16(elf, (int)versym.Offset + i * 2) & VersionIndexMask);
            var name = ReadString(elf, strings, U32(elf, (int)dynsym.Offset + i * SymbolSize));
            if (!result.TryGetValue(index, out var names))
                result[index] = names = new List<string>();
            names.Add(name);
        }
        return result;
    }

    private static string ReadString(byte[] elf, Section strings, uint offset)
    {
        if (offset >= strings.Size)
            throw new InvalidDataException("An ELF string offset lies outside its string table.");
        var start = (int)(strings.Offset + offset);
        var end = Array.IndexOf(elf, (byte)0, start, (int)(strings.Offset + strings.Size - start));
        if (end < 0)
            throw new InvalidDataException("An ELF string is not terminated.");
        return Encoding.ASCII.GetString(elf, start, end - start);
    }

    private static ushort U16(byte[] b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at, 2));
    private static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at, 4));
    private static ulong U64(byte[] b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at, 8));
}
